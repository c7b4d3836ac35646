// Measures the elementwise kernels against a plain copy of the same bytes, in the same run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rectify/act/activation.hpp"

namespace rectify::timing {

enum class Pass { forward, backward, backward_output, forward_mask, backward_mask };
std::string_view pass_name(Pass p);
Pass parse_pass(std::string_view name);  // throws std::invalid_argument
inline constexpr Pass kAllPasses[] = {Pass::forward, Pass::backward, Pass::backward_output,
                                      Pass::forward_mask, Pass::backward_mask};

// Whether the activation has this pass at all (elu has no mask, silu no backward from output).
bool supports(const Activation& a, Pass p);

// Where the buffers sit within a 4 KiB page, in bytes. On many x86 cores a load that follows a
// store to an address equal modulo 4 KiB waits for it ("4K aliasing"), so a kernel's speed can
// move with the distance between its inputs and its output. The benchmark fixes every buffer's
// offset, so that figures compare from case to case, or sweeps the output's offset and reports
// the worst and the best.
inline constexpr std::size_t kPageBytes = 4096;
inline constexpr std::size_t kInputOffset = 0;    // x, or y for the backward from the output
inline constexpr std::size_t kGradOffset = 2048;  // dy
inline constexpr std::size_t kMaskOffset = 3072;  // the 1-bit mask
inline constexpr std::size_t kOutOffset = 1024;   // the output, unless a case says otherwise
// The output offsets a sweep visits: 0 (same offset as the input), every distance up to 512
// bytes either side of the input and of dy, and a few between.
inline constexpr std::size_t kSweepOffsets[] = {0,    16,   32,   64,   128,  256,  512,  1024,
                                                1536, 1984, 2016, 2048, 2064, 2112, 2304, 2560,
                                                3072, 3584, 3840, 3968, 4032, 4080};

struct Case {
  Activation activation;
  Pass pass = Pass::forward;
  std::size_t size = 0;
  int threads = 1;
  std::size_t out_offset = kOutOffset;  // bytes into a page, a multiple of 4
};

struct Result {
  Case c;
  std::string target;
  double seconds = 0;        // median time of one call (a sweep: the worst offset's least)
  double gelem_per_s = 0;    // elements per second / 1e9
  double gb_per_s = 0;       // bytes read and written per second / 1e9
  double copy_gb_per_s = 0;  // memcpy of one input to one output, same size and threads
  double ratio_to_copy = 0;  // gb_per_s / copy_gb_per_s
  // Set by a sweep over kSweepOffsets (the figures above are then the worst offset's).
  bool swept = false;
  std::size_t worst_offset = 0, best_offset = 0;
  double worst_gelem_per_s = 0, best_gelem_per_s = 0;
};

// The buffers of one case and the call that runs it, prepared once so timing loops (ours or
// Google Benchmark's) measure the kernel alone.
class Workload {
 public:
  // One call per output offset (default: the case's own); throws std::invalid_argument for a
  // pass `c` lacks or an offset that is not a multiple of 4 below kPageBytes.
  explicit Workload(const Case& c, std::vector<std::size_t> out_offsets = {});
  void run_once(std::size_t placement = 0) const { calls_[placement](); }
  std::size_t placements() const { return calls_.size(); }
  double bytes_moved() const;  // read and written by one call (no write-allocate traffic)

 private:
  // Page-aligned memory for `bytes` at any offset below kPageBytes.
  using Buffer = std::shared_ptr<std::byte[]>;
  static Buffer allocate(std::size_t bytes);
  template <class T>
  static std::span<T> at(const Buffer& b, std::size_t offset, std::size_t n) {
    return {reinterpret_cast<T*>(b.get() + offset), n};
  }
  Case case_;
  Buffer x_, dy_, y_, out_, mask_;
  std::vector<float> slopes_, dslopes_;
  std::vector<std::function<void()>> calls_;
};

struct Options {
  double min_seconds = 0.02;  // per repetition: enough calls to take at least this long
  int repetitions = 5;        // the median is reported
  // Time every offset of kSweepOffsets, not only the case's; each offset's figure is then its
  // least time over at least 31 repetitions of at most 2 ms.
  bool sweep_offsets = false;
};

// Runs one case; `progress` (if set) is told before each case starts.
Result run(const Case& c, const Options& options = {});

// One JSON object on one line with the fields of Result.
std::string to_json(const Result& r);

}  // namespace rectify::timing
