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

namespace rectify::bench {

enum class Pass { forward, backward, backward_output, forward_mask, backward_mask };
std::string_view pass_name(Pass p);
Pass parse_pass(std::string_view name);  // throws std::invalid_argument
inline constexpr Pass kAllPasses[] = {Pass::forward, Pass::backward, Pass::backward_output,
                                      Pass::forward_mask, Pass::backward_mask};

// Whether the activation has this pass at all (elu has no mask, silu no backward from output).
bool supports(const Activation& a, Pass p);

struct Case {
  Activation activation;
  Pass pass = Pass::forward;
  std::size_t size = 0;
  int threads = 1;
};

struct Result {
  Case c;
  std::string target;
  double seconds = 0;        // median time of one call
  double gelem_per_s = 0;    // elements per second / 1e9
  double gb_per_s = 0;       // bytes read and written per second / 1e9
  double copy_gb_per_s = 0;  // memcpy of one input to one output, same size and threads
  double ratio_to_copy = 0;  // gb_per_s / copy_gb_per_s
};

// The buffers of one case and the call that runs it, prepared once so timing loops (ours or
// Google Benchmark's) measure the kernel alone.
class Workload {
 public:
  explicit Workload(const Case& c);  // throws std::invalid_argument for a pass `c` lacks
  void run_once() const { call_(); }
  double bytes_moved() const;  // read and written by one call (no write-allocate traffic)

 private:
  // Buffers from Highway's allocator, which staggers them so that loads from one and stores to
  // another do not alias in the 4K store-forwarding check (a penalty memcpy would not pay).
  struct Buffer {
    std::shared_ptr<float[]> data;
    std::span<float> span;
  };
  static Buffer allocate(std::size_t n);
  Case case_;
  Buffer x_, dy_, y_, out_;
  std::vector<float> slopes_, dslopes_;
  std::vector<std::uint8_t> mask_;
  std::function<void()> call_;
};

struct Options {
  double min_seconds = 0.02;  // per repetition: enough calls to take at least this long
  int repetitions = 5;        // the median is reported
};

// Runs one case; `progress` (if set) is told before each case starts.
Result run(const Case& c, const Options& options = {});

// One JSON object on one line with the fields of Result.
std::string to_json(const Result& r);

}  // namespace rectify::bench
