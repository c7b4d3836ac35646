// The launcher's environment, read the same way with or without MPI in the build.
#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <initializer_list>
#include <string_view>

#include "rectify/dist/session.hpp"

namespace rectify::dist {

namespace {

// The first of the variables that holds a whole number >= lowest; -1 when none does.
int first_number(std::initializer_list<const char*> names, int lowest) {
  for (const char* name : names) {
    const char* value = std::getenv(name);
    if (value == nullptr) continue;
    const std::string_view text(value);
    int number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec == std::errc() && end == text.data() + text.size() && number >= lowest) return number;
  }
  return -1;
}

}  // namespace

int launched_size() {
  return std::max(0, first_number({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}, 1));
}

int launched_rank() {
  return std::max(0, first_number({"OMPI_COMM_WORLD_RANK", "PMI_RANK"}, 0));
}

}  // namespace rectify::dist
