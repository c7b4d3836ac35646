// Batching: a seeded shuffle that is a permutation and the same everywhere, and fill_batch's
// documented normalisation.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "rectify/data/batch.hpp"

namespace rectify::data {
namespace {

TEST(Shuffle, SameSeedSameOrderOnEveryPlatform) {
  // std::mt19937_64's output is fixed by the standard and the draw is ours, so these values hold
  // with any standard library; a change here changes every training run.
  const std::vector<std::size_t> expected = {1, 7, 9, 0, 3, 8, 4, 2, 5, 6};
  EXPECT_EQ(shuffled_indices(10, 42), expected);
  EXPECT_EQ(shuffled_indices(1000, 7), shuffled_indices(1000, 7));
  EXPECT_NE(shuffled_indices(1000, 7), shuffled_indices(1000, 8));
}

TEST(Shuffle, IsAPermutation) {
  for (const std::size_t n : {0, 1, 2, 3, 17, 60000}) {
    std::vector<std::size_t> order = shuffled_indices(n, n + 1);
    std::sort(order.begin(), order.end());
    std::vector<std::size_t> identity(n);
    std::iota(identity.begin(), identity.end(), std::size_t{0});
    EXPECT_EQ(order, identity) << n;
  }
}

TEST(Shuffle, AGeneratorGivesANewOrderEachEpoch) {
  std::mt19937_64 rng(5);
  std::vector<std::size_t> a(100), b(100);
  std::iota(a.begin(), a.end(), std::size_t{0});
  std::iota(b.begin(), b.end(), std::size_t{0});
  shuffle(a, rng);
  shuffle(b, rng);
  EXPECT_NE(a, b);
}

TEST(Shuffle, EveryPositionIsReachedUniformly) {
  // Where element 0 lands over many shuffles of 5: each place about 1/5 of the time.
  std::mt19937_64 rng(99);
  std::array<int, 5> counts{};
  constexpr int kTrials = 50000;
  for (int t = 0; t < kTrials; ++t) {
    std::vector<std::size_t> v = {0, 1, 2, 3, 4};
    shuffle(v, rng);
    ++counts[static_cast<std::size_t>(std::find(v.begin(), v.end(), 0) - v.begin())];
  }
  for (const int c : counts) EXPECT_NEAR(c, kTrials / 5, 500);  // 5.6 standard deviations
}

TEST(Shuffle, UniformBelowStaysInRange) {
  std::mt19937_64 rng(3);
  EXPECT_EQ(uniform_below(rng, 1), 0u);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(uniform_below(rng, 7), 7u);
  const std::uint64_t big = (std::uint64_t{1} << 63) + 1;  // rejects almost half the draws
  for (int i = 0; i < 100; ++i) EXPECT_LT(uniform_below(rng, big), big);
  EXPECT_THROW(uniform_below(rng, 0), std::invalid_argument);
}

Dataset tiny() {
  Dataset d;
  d.count = 3;
  d.rows = 2;
  d.cols = 2;
  d.images = {0, 255, 128, 1, 10, 20, 30, 40, 50, 60, 70, 80};
  d.labels = {4, 0, 9};
  return d;
}

TEST(FillBatch, NormalisesWithFashionMnistStatistics) {
  const Dataset d = tiny();
  const std::vector<std::size_t> indices = {2, 0};
  std::vector<float> x(8);
  std::vector<std::int32_t> y(2);
  fill_batch(d, indices, x, y);
  EXPECT_EQ(y, (std::vector<std::int32_t>{9, 4}));
  const std::uint8_t pixels[] = {50, 60, 70, 80, 0, 255, 128, 1};
  for (std::size_t i = 0; i < 8; ++i) {
    const double expected = (pixels[i] / 255.0 - 0.2860) / 0.3530;
    EXPECT_NEAR(x[i], expected, 1e-6) << i;
  }
  EXPECT_NEAR(x[4], -0.81020, 1e-5);  // background
  EXPECT_NEAR(x[5], 2.02266, 1e-5);   // full intensity
}

TEST(FillBatch, ChecksSizesAndIndices) {
  const Dataset d = tiny();
  std::vector<float> x(8);
  std::vector<std::int32_t> y(2);
  const std::vector<std::size_t> ok = {0, 1}, bad = {0, 3};
  EXPECT_THROW(fill_batch(d, ok, std::span(x).first(7), y), std::invalid_argument);
  EXPECT_THROW(fill_batch(d, ok, x, std::span(y).first(1)), std::invalid_argument);
  try {
    fill_batch(d, bad, x, y);
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("indices[1] is 3, expected below 3"), std::string::npos)
        << e.what();
  }
  fill_batch(d, {}, {}, {});  // an empty batch is fine
}

}  // namespace
}  // namespace rectify::data
