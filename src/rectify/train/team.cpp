#include "rectify/train/team.hpp"

namespace rectify::train {

Share share_of(std::size_t count, int rank, int ranks) {
  const auto n = static_cast<std::size_t>(ranks), r = static_cast<std::size_t>(rank);
  const std::size_t base = count / n, extra = count % n;
  const std::size_t begin = r * base + (r < extra ? r : extra);
  return {begin, begin + base + (r < extra ? 1 : 0)};
}

}  // namespace rectify::train
