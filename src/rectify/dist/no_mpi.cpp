// The MPI entry points of a build without MPI: they say so.
#include <stdexcept>

#include "rectify/dist/session.hpp"

namespace rectify::dist {
namespace {
[[noreturn]] void absent() {
  throw std::runtime_error(
      "this rectify was built without MPI (install libopenmpi-dev and openmpi-bin, as "
      "scripts/setup.sh does, and build again)");
}
}  // namespace

bool available() {
  return false;
}
std::string library_version() {
  return "absent: built without MPI";
}

struct Session::State {};
Session::Session(double) {
  absent();
}
Session::~Session() = default;
train::Team& Session::team() {
  absent();
}
int Session::local_size() const {
  return 1;
}
void Session::abort(int) {
  absent();
}

}  // namespace rectify::dist
