// rectify's own forward error on every SIMD target this CPU runs, measured as the peers' is
// (peers/accuracy_report.hpp): every stride-th float bit pattern, finite and below 1e4 in
// magnitude, against the scalar reference in double. --stride 1 is every such float (about a
// minute per function and target on one core). The figures the README quotes for a function's
// worst error come from here; the tests check the documented bounds.
//
// Usage: forward_accuracy [--stride N] FN...   (default stride 13; FN: a spec, e.g. tanh)
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <span>
#include <string>
#include <vector>

#include "peers/accuracy_report.hpp"
#include "rectify/act/kernels.hpp"
#include "rectify/act/simd_target.hpp"

int main(int argc, char** argv) {
  std::uint64_t stride = 13;
  std::vector<rectify::Activation> fns;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--stride" && i + 1 < argc) {
        stride = std::strtoull(argv[++i], nullptr, 10);
      } else {
        fns.push_back(rectify::Activation::parse(arg));
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "forward_accuracy: %s\n", e.what());
    return 2;
  }
  if (stride == 0 || fns.empty()) {
    std::fprintf(stderr, "usage: forward_accuracy [--stride N > 0] FN...\n");
    return 2;
  }
  for (const auto& a : fns) {
    for (const auto& target : rectify::simd::available_targets()) {
      rectify::simd::force_target(target);
      const auto rectify_forward = [&](const std::vector<float>& x, std::vector<float>& y) {
        rectify::forward(a, x, y);
      };
      bench::measure_forward(a, stride, rectify_forward)
          .print("rectify (" + target + ")", a.to_string());
    }
  }
  rectify::simd::reset_target();
}
