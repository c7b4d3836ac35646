#include "rectify/bench/eltwise_bench.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "hwy/aligned_allocator.h"
#include "rectify/act/crelu.hpp"
#include "rectify/act/kernels.hpp"
#include "rectify/act/prelu.hpp"
#include "rectify/act/simd_target.hpp"
#include "rectify/act/threads.hpp"

namespace rectify::bench {
namespace {

using Clock = std::chrono::steady_clock;

// How many calls of fn last at least min_seconds (after one call to warm caches and threads).
template <class Fn>
std::size_t calls_for(const Fn& fn, const Options& o) {
  fn();
  std::size_t calls = 1;
  while (true) {
    const auto start = Clock::now();
    for (std::size_t i = 0; i < calls; ++i) fn();
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    if (s >= o.min_seconds || calls > (std::size_t{1} << 30)) return calls;
    calls *= 2;
  }
}

// Median seconds per call of a and of b. The repetitions alternate between the two, so that a
// machine whose speed drifts (a shared VM, turbo) slows both alike and their ratio holds.
template <class A, class B>
std::pair<double, double> time_alternating(const A& a, const B& b, const Options& o) {
  const std::size_t calls_a = calls_for(a, o), calls_b = calls_for(b, o);
  const auto seconds_per_call = [](const auto& fn, std::size_t calls) {
    const auto start = Clock::now();
    for (std::size_t i = 0; i < calls; ++i) fn();
    return std::chrono::duration<double>(Clock::now() - start).count() / static_cast<double>(calls);
  };
  std::vector<double> times_a, times_b;
  for (int r = 0; r < o.repetitions; ++r) {
    times_a.push_back(seconds_per_call(a, calls_a));
    times_b.push_back(seconds_per_call(b, calls_b));
  }
  const auto median = [](std::vector<double>& v) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  return {median(times_a), median(times_b)};
}

// A copy split over the same threads as the kernels.
void parallel_copy(const float* src, float* dst, std::size_t n, int threads) {
  const std::size_t pieces = static_cast<std::size_t>(n >= kParallelThreshold ? threads : 1);
  if (pieces == 1) {  // no OpenMP region for work that stays on one thread, as in the kernels
    std::memcpy(dst, src, n * sizeof(float));
    return;
  }
  const std::size_t step = (n + pieces - 1) / pieces;
#pragma omp parallel for num_threads(static_cast <int>(pieces)) schedule(static)
  for (std::size_t p = 0; p < pieces; ++p) {
    const std::size_t begin = std::min(n, p * step), end = std::min(n, begin + step);
    std::memcpy(dst + begin, src + begin, (end - begin) * sizeof(float));
  }
}

// The channel layout the prelu benchmark uses: NCHW with 32 channels.
ChannelLayout prelu_layout(std::size_t n) {
  return n % 32 == 0 ? ChannelLayout{1, 32, n / 32} : ChannelLayout{1, 1, n};
}

}  // namespace

std::string_view pass_name(Pass p) {
  switch (p) {
    case Pass::forward:
      return "forward";
    case Pass::backward:
      return "backward";
    case Pass::backward_output:
      return "backward_output";
    case Pass::forward_mask:
      return "forward_mask";
    case Pass::backward_mask:
      return "backward_mask";
  }
  return "?";
}

Pass parse_pass(std::string_view name) {
  for (Pass p : kAllPasses) {
    if (pass_name(p) == name) return p;
  }
  throw std::invalid_argument(
      fmt::format("unknown pass '{}'; known: forward, backward, backward_output, forward_mask, "
                  "backward_mask",
                  name));
}

bool supports(const Activation& a, Pass p) {
  switch (p) {
    case Pass::forward:
    case Pass::backward:
      return true;
    case Pass::backward_output:
      return a.has_backward_from_output();
    case Pass::forward_mask:
    case Pass::backward_mask:
      return a.has_mask();
  }
  return false;
}

Workload::Buffer Workload::allocate(std::size_t n) {
  auto p = hwy::AllocateAligned<float>(std::max<std::size_t>(n, 1));
  std::shared_ptr<float[]> shared(p.release(),
                                  [](float* f) { hwy::FreeAlignedBytes(f, nullptr, nullptr); });
  return {shared, std::span<float>(shared.get(), n)};
}

Workload::Workload(const Case& c) : case_(c) {
  const Activation& a = c.activation;
  if (!supports(a, c.pass)) {
    throw std::invalid_argument(fmt::format("{} has no {} pass", a.to_string(), pass_name(c.pass)));
  }
  const std::size_t n = c.size;
  const bool crelu = a.fn() == Fn::crelu;
  x_ = allocate(n);
  dy_ = allocate(crelu ? 2 * n : n);
  out_ = allocate(crelu ? 2 * n : n);
  y_ = allocate(n);
  mask_.resize(mask_bytes(n));
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  for (auto& v : x_.span) v = normal(rng);
  for (auto& v : dy_.span) v = normal(rng);
  forward(a, x_.span, crelu ? out_.span : y_.span);
  if (a.has_mask()) forward_with_mask(a, x_.span, y_.span, mask_);
  const auto layout = prelu_layout(n);
  slopes_.assign(layout.channels, 0.25f);
  dslopes_.resize(layout.channels);

  const std::span<const float> x = x_.span, dy = dy_.span, y = y_.span;
  const std::span<float> out = out_.span;
  switch (c.pass) {
    case Pass::forward:
      if (a.fn() == Fn::prelu) {
        call_ = [this, x, out, layout] { prelu_forward(x, slopes_, layout, out); };
      } else {
        call_ = [a, x, out] { forward(a, x, out); };
      }
      break;
    case Pass::backward:
      if (a.fn() == Fn::prelu) {
        call_ = [this, x, dy, out, layout] {
          prelu_backward(x, slopes_, dy, layout, out, dslopes_);
        };
      } else {
        call_ = [a, x, dy, out, n] { backward(a, x, dy, out.first(n)); };
      }
      break;
    case Pass::backward_output:
      call_ = [a, y, dy, out] { backward_from_output(a, y, dy, out); };
      break;
    case Pass::forward_mask:
      call_ = [this, a, x, out] { forward_with_mask(a, x, out, mask_); };
      break;
    case Pass::backward_mask:
      call_ = [this, a, dy, out] { backward_from_mask(a, mask_, dy, out); };
      break;
  }
}

double Workload::bytes_moved() const {
  const double n = static_cast<double>(case_.size);
  const bool crelu = case_.activation.fn() == Fn::crelu;
  switch (case_.pass) {
    case Pass::forward:
      return crelu ? 12 * n : 8 * n;
    case Pass::backward:
      return crelu ? 16 * n : 12 * n;
    case Pass::backward_output:
      return 12 * n;
    case Pass::forward_mask:
    case Pass::backward_mask:
      return 8 * n + n / 8;
  }
  return 0;
}

Result run(const Case& c, const Options& options) {
  set_num_threads(c.threads);
  const Workload work(c);
  Result r{.c = c, .target = simd::current_target()};
  const std::size_t n = c.size;
  // Highway's allocator staggers allocations so the copy does not suffer 4K aliasing.
  auto src = hwy::AllocateAligned<float>(n), dst = hwy::AllocateAligned<float>(n);
  std::fill_n(src.get(), n, 1.0f);
  std::fill_n(dst.get(), n, 0.0f);
  const auto [seconds, copy_seconds] =
      time_alternating([&] { work.run_once(); },
                       [&] { parallel_copy(src.get(), dst.get(), n, c.threads); }, options);
  r.seconds = seconds;
  set_num_threads(0);
  r.gelem_per_s = static_cast<double>(n) / r.seconds / 1e9;
  r.gb_per_s = work.bytes_moved() / r.seconds / 1e9;
  r.copy_gb_per_s = 8.0 * static_cast<double>(n) / copy_seconds / 1e9;
  r.ratio_to_copy = r.gb_per_s / r.copy_gb_per_s;
  return r;
}

std::string to_json(const Result& r) {
  nlohmann::ordered_json j;
  j["fn"] = std::string(r.c.activation.name());
  j["spec"] = r.c.activation.to_string();
  j["pass"] = std::string(pass_name(r.c.pass));
  j["size"] = r.c.size;
  j["threads"] = r.c.threads;
  j["target"] = r.target;
  j["seconds"] = r.seconds;
  j["gelem_per_s"] = r.gelem_per_s;
  j["gb_per_s"] = r.gb_per_s;
  j["copy_gb_per_s"] = r.copy_gb_per_s;
  j["ratio_to_copy"] = r.ratio_to_copy;
  return j.dump();
}

}  // namespace rectify::bench
