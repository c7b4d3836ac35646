#include "rectify/timing/eltwise_bench.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "rectify/act/crelu.hpp"
#include "rectify/act/kernels.hpp"
#include "rectify/act/prelu.hpp"
#include "rectify/act/registry.hpp"
#include "rectify/act/simd_target.hpp"
#include "rectify/act/threads.hpp"

namespace rectify::timing {
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

// Median (or with `best`, least) seconds per call of each of fns. The repetitions take turns
// between them, so that a machine whose speed drifts (a shared VM, turbo) slows all alike and
// their ratios hold.
std::vector<double> time_alternating(const std::vector<std::function<void()>>& fns,
                                     const Options& o, bool best = false) {
  std::vector<std::size_t> calls;
  for (const auto& fn : fns) calls.push_back(calls_for(fn, o));
  const auto seconds_per_call = [](const auto& fn, std::size_t count) {
    const auto start = Clock::now();
    for (std::size_t i = 0; i < count; ++i) fn();
    return std::chrono::duration<double>(Clock::now() - start).count() / static_cast<double>(count);
  };
  std::vector<std::vector<double>> times(fns.size());
  for (int r = 0; r < o.repetitions; ++r) {
    for (std::size_t k = 0; k < fns.size(); ++k) {
      times[k].push_back(seconds_per_call(fns[k], calls[k]));
    }
  }
  std::vector<double> medians;
  for (auto& v : times) {
    const auto at = v.begin() + (best ? 0 : static_cast<std::ptrdiff_t>(v.size() / 2));
    std::nth_element(v.begin(), at, v.end());
    medians.push_back(*at);
  }
  return medians;
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

// Page-aligned room for n floats starting `offset` bytes in.
std::unique_ptr<float[], void (*)(float*)> aligned_floats(std::size_t n, std::size_t offset) {
  const std::size_t bytes = (n * sizeof(float) + offset + kPageBytes) / kPageBytes * kPageBytes;
  return {static_cast<float*>(std::aligned_alloc(kPageBytes, bytes)),
          [](float* p) { std::free(p); }};
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

Workload::Buffer Workload::allocate(std::size_t bytes) {
  const std::size_t size = (bytes + 2 * kPageBytes - 1) / kPageBytes * kPageBytes;
  return Buffer(static_cast<std::byte*>(std::aligned_alloc(kPageBytes, size)),
                [](std::byte* p) { std::free(p); });
}

Workload::Workload(const Case& c, std::vector<std::size_t> out_offsets) : case_(c) {
  const Activation& a = c.activation;
  if (!supports(a, c.pass)) {
    throw std::invalid_argument(fmt::format("{} has no {} pass", a.to_string(), pass_name(c.pass)));
  }
  if (out_offsets.empty()) out_offsets.push_back(c.out_offset);
  for (const std::size_t off : out_offsets) {
    if (off >= kPageBytes || off % sizeof(float) != 0) {
      throw std::invalid_argument(
          fmt::format("output offset {} is not a multiple of 4 below {}", off, kPageBytes));
    }
  }
  const std::size_t n = c.size;
  const std::size_t n2 = width_factor(a) * n;
  x_ = allocate(n * sizeof(float));
  y_ = allocate(n * sizeof(float));
  dy_ = allocate(n2 * sizeof(float));
  out_ = allocate(n2 * sizeof(float));
  mask_ = allocate(mask_bytes(n));
  const auto x = at<float>(x_, kInputOffset, n);
  const auto y = at<float>(y_, kInputOffset, n);
  const auto dy = at<float>(dy_, kGradOffset, n2);
  const auto mask = at<std::uint8_t>(mask_, kMaskOffset, mask_bytes(n));
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  for (auto& v : x) v = normal(rng);
  for (auto& v : dy) v = normal(rng);
  const auto first_out = at<float>(out_, out_offsets.front(), n2);
  forward(a, x, n2 > n ? first_out : y);
  if (a.has_mask()) forward_with_mask(a, x, y, mask);
  const auto layout = prelu_layout(n);
  slopes_.assign(layout.channels, 0.25f);
  dslopes_.resize(layout.channels);

  for (const std::size_t off : out_offsets) {
    const auto out = at<float>(out_, off, n2);
    switch (c.pass) {
      case Pass::forward:
        if (layer_kind(a) == LayerKind::learned_slope) {
          calls_.emplace_back([this, x, out, layout] { prelu_forward(x, slopes_, layout, out); });
        } else {
          calls_.emplace_back([a, x, out] { forward(a, x, out); });
        }
        break;
      case Pass::backward:
        if (layer_kind(a) == LayerKind::learned_slope) {
          calls_.emplace_back([this, x, dy, out, layout] {
            prelu_backward(x, slopes_, dy, layout, out, dslopes_);
          });
        } else {
          calls_.emplace_back([a, x, dy, out, n] { backward(a, x, dy, out.first(n)); });
        }
        break;
      case Pass::backward_output:
        calls_.emplace_back([a, y, dy, out] { backward_from_output(a, y, dy, out); });
        break;
      case Pass::forward_mask:
        calls_.emplace_back([a, x, out, mask] { forward_with_mask(a, x, out, mask); });
        break;
      case Pass::backward_mask:
        calls_.emplace_back([a, dy, out, mask] { backward_from_mask(a, mask, dy, out); });
        break;
    }
  }
}

double Workload::bytes_moved() const {
  const double n = static_cast<double>(case_.size);
  const bool crelu = width_factor(case_.activation) == 2;
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
  std::vector<std::size_t> offsets{c.out_offset};
  if (options.sweep_offsets) offsets.assign(std::begin(kSweepOffsets), std::end(kSweepOffsets));
  const Workload work(c, offsets);
  Result r{.c = c, .target = simd::current_target()};
  const std::size_t n = c.size;
  // The copy at the kernels' own input and default output offsets, which memcpy handles well.
  const auto src = aligned_floats(n, kInputOffset), dst = aligned_floats(n, kOutOffset);
  std::fill_n(src.get() + kInputOffset / sizeof(float), n, 1.0f);
  std::fill_n(dst.get() + kOutOffset / sizeof(float), n, 0.0f);
  std::vector<std::function<void()>> fns;
  for (std::size_t k = 0; k < work.placements(); ++k)
    fns.emplace_back([&, k] { work.run_once(k); });
  fns.emplace_back([&] {
    parallel_copy(src.get() + kInputOffset / sizeof(float), dst.get() + kOutOffset / sizeof(float),
                  n, c.threads);
  });
  // A sweep compares placements of the same work: each offset's fastest of many short
  // repetitions, which other processes on the machine can only slow, not speed up, and one of
  // which likely finds the core to itself.
  Options timing = options;
  if (options.sweep_offsets) {
    timing.min_seconds = std::min(options.min_seconds, 0.002);
    timing.repetitions = std::max(options.repetitions, 31);
  }
  const auto seconds = time_alternating(fns, timing, options.sweep_offsets);
  set_num_threads(0);
  const auto slowest = std::max_element(seconds.begin(), seconds.end() - 1);
  const auto fastest = std::min_element(seconds.begin(), seconds.end() - 1);
  const auto gelem = [&](double s) { return static_cast<double>(n) / s / 1e9; };
  r.seconds = *slowest;
  r.c.out_offset = offsets[static_cast<std::size_t>(slowest - seconds.begin())];
  if (options.sweep_offsets) {
    r.swept = true;
    r.worst_offset = r.c.out_offset;
    r.best_offset = offsets[static_cast<std::size_t>(fastest - seconds.begin())];
    r.worst_gelem_per_s = gelem(*slowest);
    r.best_gelem_per_s = gelem(*fastest);
  }
  r.gelem_per_s = gelem(r.seconds);
  r.gb_per_s = work.bytes_moved() / r.seconds / 1e9;
  r.copy_gb_per_s = 8.0 * static_cast<double>(n) / seconds.back() / 1e9;
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
  j["out_offset"] = r.c.out_offset;
  j["in_offset"] = kInputOffset;
  j["dy_offset"] = kGradOffset;
  if (r.swept) {
    j["worst_offset"] = r.worst_offset;
    j["worst_gelem_per_s"] = r.worst_gelem_per_s;
    j["best_offset"] = r.best_offset;
    j["best_gelem_per_s"] = r.best_gelem_per_s;
    j["worst_to_best"] = r.worst_gelem_per_s / r.best_gelem_per_s;
  }
  return j.dump();
}

}  // namespace rectify::timing
