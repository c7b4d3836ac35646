// Uses the installed library: parse a spec, run forward and backward, check the values.
#include <cstdio>
#include <vector>

#include "rectify/rectify.hpp"

int main() {
  const auto leaky = rectify::Activation::parse("leaky_relu:0.5");
  const std::vector<float> x = {-2.0f, 0.0f, 3.0f};
  std::vector<float> y(3), dx(3);
  const std::vector<float> dy(3, 1.0f);
  rectify::forward(leaky, x, y);
  rectify::backward(leaky, x, dy, dx);
  const bool ok =
      y == std::vector<float>{-1.0f, 0.0f, 3.0f} && dx == std::vector<float>{0.5f, 0.5f, 1.0f};
  std::printf("consumer: %s on %s\n", ok ? "ok" : "WRONG", rectify::simd::current_target().c_str());
  return ok ? 0 : 1;
}
