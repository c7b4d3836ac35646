// Eigen peer for bench/compare: the forward pass as a C++ user writes it with Eigen 3.4's array
// expressions (Debian's libeigen3-dev), compiled with -O3 -march=native, one thread.
//
//   relu      Y = X.max(0)                     sigmoid   Y = X.logistic()
//   tanh      Y = X.tanh()                     gelu_erf  Y = 0.5f * X * (1 + (X * M_SQRT1_2).erf())
//
// Timing prints one JSON object per line (the schema of `rectify bench --json`), with the buffers
// placed as `rectify bench` places them: page-aligned, x at offset 0 and y at --out-offset.
// --accuracy instead measures Eigen's error as onednn_accuracy measures oneDNN's: every
// stride-th float bit pattern that is finite and below 1e4 in magnitude, against rectify's
// double reference rounded to float, results below 2^-100 left out.
//
// Usage: eigen_eltwise [--fns relu,tanh] [--sizes 65536] [--min-time-ms 50] [--reps 7]
//                      [--out-offset 1024] [--json]
//        eigen_eltwise --accuracy [--stride 13] [--fns tanh,sigmoid,gelu_erf]
#include <Eigen/Core>
#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <unsupported/Eigen/SpecialFunctions>
#include <vector>

#include "accuracy_report.hpp"
#include "comma_list.hpp"
#include "rectify/act/activation.hpp"
#include "rectify/act/reference.hpp"

namespace {

using Array = Eigen::Map<Eigen::ArrayXf>;
using ConstArray = Eigen::Map<const Eigen::ArrayXf>;

constexpr const char* kFns[] = {"relu", "sigmoid", "tanh", "gelu_erf"};

// y = f(x) for one of kFns; false for another name.
bool Apply(const std::string& fn, ConstArray x, Array y) {
  if (fn == "relu") {
    y = x.max(0.0f);
  } else if (fn == "sigmoid") {
    y = x.logistic();
  } else if (fn == "tanh") {
    y = x.tanh();
  } else if (fn == "gelu_erf") {
    y = 0.5f * x * (1.0f + (x * static_cast<float>(M_SQRT1_2)).erf());
  } else {
    return false;
  }
  return true;
}

constexpr std::size_t kPageBytes = 4096;

// n floats, page-aligned plus `offset` bytes.
std::shared_ptr<float> Placed(std::size_t n, std::size_t offset) {
  const std::size_t bytes = (n * sizeof(float) + offset + kPageBytes) / kPageBytes * kPageBytes;
  char* base = static_cast<char*>(std::aligned_alloc(kPageBytes, bytes));
  return {reinterpret_cast<float*>(base + offset), [base](float*) { std::free(base); }};
}

// Median seconds per call over `reps` repetitions of about `min_time` seconds each.
template <class Fn>
double MedianSecondsPerCall(const Fn& fn, double min_time, int reps) {
  using Clock = std::chrono::steady_clock;
  const auto run = [&](std::int64_t n) {
    const auto start = Clock::now();
    for (std::int64_t i = 0; i < n; ++i) fn();
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  run(3);
  std::int64_t n = 1;
  double elapsed = run(n);
  while (elapsed < min_time / 4) elapsed = run(n *= 4);
  n = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(static_cast<double>(n) * min_time / elapsed));
  std::vector<double> samples;
  for (int r = 0; r < reps; ++r) samples.push_back(run(n) / static_cast<double>(n));
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

const char* Target() {
#if defined(__AVX512F__)
  return "AVX512";
#elif defined(__AVX2__)
  return "AVX2";
#elif defined(__SSE4_1__)
  return "SSE4";
#else
  return "other";
#endif
}

void Time(const std::vector<std::string>& fns, const std::vector<std::size_t>& sizes,
          double min_time, int reps, std::size_t out_offset, bool json) {
  for (const auto& fn : fns) {
    for (const std::size_t n : sizes) {
      const auto xp = Placed(n, 0), yp = Placed(n, out_offset);
      std::mt19937 gen(1);
      std::uniform_real_distribution<float> dist(-5.f, 5.f);
      std::generate_n(xp.get(), n, [&] { return dist(gen); });
      const auto size = static_cast<Eigen::Index>(n);
      const ConstArray x(xp.get(), size);
      const Array y(yp.get(), size);
      if (!Apply(fn, x, y)) {
        std::fprintf(stderr, "eigen: %s forward skipped: not among relu, sigmoid, tanh, gelu_erf\n",
                     fn.c_str());
        break;
      }
      const double sec = MedianSecondsPerCall([&] { Apply(fn, x, y); }, min_time, reps);
      const double gelem = static_cast<double>(n) / sec / 1e9;
      if (json) {
        std::printf(
            "{\"peer\":\"eigen\",\"fn\":\"%s\",\"spec\":\"%s\",\"pass\":\"forward\",\"size\":%zu,"
            "\"threads\":1,\"target\":\"%s\",\"gelem_per_s\":%.4f,\"gb_per_s\":%.3f,"
            "\"out_offset\":%zu}\n",
            fn.c_str(), fn.c_str(), n, Target(), gelem, 8 * static_cast<double>(n) / sec / 1e9,
            out_offset);
      } else {
        std::printf("%10s forward %9zu %8.3f Gelem/s\n", fn.c_str(), n, gelem);
      }
      std::fflush(stdout);
    }
  }
}

void Accuracy(const std::string& fn, std::uint64_t stride) {
  if (!Apply(fn, ConstArray(nullptr, 0), Array(nullptr, 0))) {
    std::fprintf(stderr, "eigen: unknown function '%s'\n", fn.c_str());
    std::exit(2);
  }
  const auto eigen = [&](const std::vector<float>& x, std::vector<float>& y) {
    const auto size = static_cast<Eigen::Index>(x.size());
    Apply(fn, ConstArray(x.data(), size), Array(y.data(), size));
  };
  bench::measure_forward(rectify::Activation::parse(fn), stride, eigen).print("Eigen", fn);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> fns(std::begin(kFns), std::end(kFns));
  std::vector<std::size_t> sizes{4096, 65536, 1048576, 16777216};
  double min_time = 0.05;
  int reps = 7;
  std::size_t out_offset = 1024;
  std::uint64_t stride = 13;
  bool json = false, accuracy = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--json") {
      json = true;
    } else if (arg == "--accuracy") {
      accuracy = true;
    } else if (arg == "--fns" && has_value) {
      fns = Split(argv[++i]);
    } else if (arg == "--sizes" && has_value) {
      sizes.clear();
      for (const auto& s : Split(argv[++i])) sizes.push_back(std::stoull(s));
    } else if (arg == "--min-time-ms" && has_value) {
      min_time = std::stod(argv[++i]) / 1e3;
    } else if (arg == "--reps" && has_value) {
      reps = std::max(1, std::stoi(argv[++i]));
    } else if (arg == "--out-offset" && has_value) {
      out_offset = std::stoull(argv[++i]) % kPageBytes / 4 * 4;
    } else if (arg == "--stride" && has_value) {
      stride = std::max<std::uint64_t>(1, std::stoull(argv[++i]));
    } else if ((arg == "--passes" || arg == "--threads") && has_value) {
      const std::string value = argv[++i];  // bench/compare's options: forward, one thread only
      if ((arg == "--passes" && value != "forward") || (arg == "--threads" && value != "1")) {
        std::fprintf(stderr, "eigen: only the forward pass on one thread is measured\n");
        return 0;
      }
    } else {
      std::fprintf(stderr,
                   "usage: eigen_eltwise [--fns a,b] [--sizes n,m] [--min-time-ms ms] [--reps r] "
                   "[--out-offset bytes] [--json] | --accuracy [--stride n] [--fns a,b]\n");
      return arg == "--help" ? 0 : 2;
    }
  }
  if (accuracy) {
    for (const auto& fn : fns) {
      if (fn != "relu") Accuracy(fn, stride);
    }
    return 0;
  }
  Time(fns, sizes, min_time, reps, out_offset, json);
  return 0;
}
