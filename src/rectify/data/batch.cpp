#include "rectify/data/batch.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <numeric>
#include <stdexcept>
#include <utility>

#include "rectify/act/parallel.hpp"

namespace rectify::data {
namespace {

constexpr std::size_t kCacheLine = 64;
// Pixels per task when a batch is converted on several threads: tens of microseconds each.
constexpr std::size_t kPixelsPerTask = 16384;

// Every byte's normalised value, computed once with the documented formula.
const std::array<float, 256>& normalised_pixels() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (std::size_t p = 0; p < t.size(); ++p) {
      t[p] = (static_cast<float>(p) / 255.0f - kFashionMnistMean) / kFashionMnistStd;
    }
    return t;
  }();
  return table;
}

[[noreturn]] void fail(const std::string& message) {
  throw std::invalid_argument("rectify::data::fill_batch: " + message);
}

}  // namespace

std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t bound) {
  if (bound == 0) throw std::invalid_argument("rectify::data::uniform_below: bound is 0");
  // Draws below 2^64 mod bound would make the smallest residues likelier: redraw those.
  const std::uint64_t reject_below = (std::uint64_t{0} - bound) % bound;
  for (;;) {
    const std::uint64_t r = rng();
    if (r >= reject_below) return r % bound;
  }
}

void shuffle(std::span<std::size_t> indices, std::mt19937_64& rng) {
  for (std::size_t i = indices.size(); i > 1; --i) {
    std::swap(indices[i - 1], indices[uniform_below(rng, i)]);
  }
}

std::vector<std::size_t> shuffled_indices(std::size_t n, std::uint64_t seed) {
  std::vector<std::size_t> indices(n);
  std::iota(indices.begin(), indices.end(), std::size_t{0});
  std::mt19937_64 rng(seed);
  shuffle(indices, rng);
  return indices;
}

void fill_batch(const Dataset& data, std::span<const std::size_t> indices, std::span<float> x,
                std::span<std::int32_t> y) {
  const std::size_t pixels = data.rows * data.cols;
  if (data.images.size() != data.count * pixels || data.labels.size() != data.count) {
    fail(
        fmt::format("the data set holds {} image bytes and {} labels, expected {} and {} "
                    "({} images of {}x{})",
                    data.images.size(), data.labels.size(), data.count * pixels, data.count,
                    data.count, data.rows, data.cols));
  }
  if (x.size() != indices.size() * pixels) {
    fail(fmt::format("x has {} elements, expected {} ({} images of {}x{})", x.size(),
                     indices.size() * pixels, indices.size(), data.rows, data.cols));
  }
  if (y.size() != indices.size()) {
    fail(fmt::format("y has {} elements, expected {} (one label per index)", y.size(),
                     indices.size()));
  }
  for (std::size_t b = 0; b < indices.size(); ++b) {  // before writing anything
    if (indices[b] >= data.count) {
      fail(fmt::format("indices[{}] is {}, expected below {} (the image count)", b, indices[b],
                       data.count));
    }
  }
  const auto& table = normalised_pixels();
  const std::size_t per_task =
      std::max<std::size_t>(1, kPixelsPerTask / std::max<std::size_t>(pixels, 1));
  const std::size_t tasks = (indices.size() + per_task - 1) / per_task;
  const auto convert = [&](std::size_t task, std::size_t) {
    const std::size_t first = task * per_task, end = std::min(indices.size(), first + per_task);
    for (std::size_t b = first; b < end; ++b) {
      // Shuffled images lie anywhere in the data set, mostly outside the caches: ask for the
      // next one while this one is converted.
      if (b + 1 < end) {
        const std::uint8_t* next = data.images.data() + indices[b + 1] * pixels;
        for (std::size_t p = 0; p < pixels; p += kCacheLine) __builtin_prefetch(next + p);
        if (pixels > 0) __builtin_prefetch(next + pixels - 1);  // an image need not start a line
      }
      const std::size_t i = indices[b];
      const std::uint8_t* src = data.images.data() + i * pixels;
      float* dst = x.data() + b * pixels;
      for (std::size_t p = 0; p < pixels; ++p) dst[p] = table[src[p]];
      y[b] = data.labels[i];
    }
  };
  detail::for_each_task(tasks, detail::threads_for(x.size(), kPixelsPerTask), convert);
}

}  // namespace rectify::data
