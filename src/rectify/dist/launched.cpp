// The launcher's environment, read the same way with or without MPI in the build.
#include <charconv>
#include <cstdlib>
#include <string_view>

#include "rectify/dist/session.hpp"

namespace rectify::dist {

int launched_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    const char* value = std::getenv(name);
    if (value == nullptr) continue;
    const std::string_view text(value);
    int size = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), size);
    if (ec == std::errc() && end == text.data() + text.size() && size > 0) return size;
  }
  return 0;
}

}  // namespace rectify::dist
