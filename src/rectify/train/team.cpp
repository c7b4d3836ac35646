#include "rectify/train/team.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cstdint>

namespace rectify::train {

void check_sum_buffers(std::span<const float> values, std::span<float> sums) {
  if (values.size() != sums.size()) {
    throw std::invalid_argument(fmt::format("a sum of {} values into {} places: the lengths differ",
                                            values.size(), sums.size()));
  }
  const auto v = reinterpret_cast<std::uintptr_t>(values.data());
  const auto s = reinterpret_cast<std::uintptr_t>(sums.data());
  const std::size_t bytes = values.size() * sizeof(float);
  if (bytes > 0 && v < s + bytes && s < v + bytes) {
    throw std::invalid_argument("a sum's values and the place for its result overlap");
  }
}

std::unique_ptr<PendingSum> Team::start_sum(std::span<const float> values, std::span<float> sums) {
  check_sum_buffers(values, sums);
  std::copy(values.begin(), values.end(), sums.begin());
  return std::make_unique<PendingSum>();
}

Share share_of(std::size_t count, int rank, int ranks) {
  const auto n = static_cast<std::size_t>(ranks), r = static_cast<std::size_t>(rank);
  const std::size_t base = count / n, extra = count % n;
  const std::size_t begin = r * base + (r < extra ? r : extra);
  return {begin, begin + base + (r < extra ? 1 : 0)};
}

}  // namespace rectify::train
