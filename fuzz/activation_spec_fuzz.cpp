// The activation-spec parser on arbitrary text. A spec is accepted or rejected with
// std::invalid_argument; an accepted one prints as a spec that parses back to the same
// activation, and its kernels run on a few awkward values.
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "rectify/rectify.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view spec(reinterpret_cast<const char*>(data), size);
  rectify::Activation a;
  try {
    a = rectify::Activation::parse(spec);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  if (!(rectify::Activation::parse(a.to_string()) == a)) std::abort();
  if (a.fn() == rectify::Fn::prelu || a.fn() == rectify::Fn::crelu)
    return 0;  // layouts of their own
  constexpr float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> x = {-inf,
                                -1e30f,
                                -2.0f,
                                -0.0f,
                                0.0f,
                                1e-40f,
                                0.5f,
                                6.0f,
                                1e30f,
                                inf,
                                std::numeric_limits<float>::quiet_NaN()};
  const std::vector<float> dy(x.size(), 1.0f);
  std::vector<float> y(x.size()), dx(x.size());
  rectify::forward(a, x, y);
  rectify::backward(a, x, dy, dx);
  if (a.has_backward_from_output()) rectify::backward_from_output(a, y, dy, dx);
  return 0;
}
