// Spans above 2^31 elements: in-place relu over 2^31 + 17 floats (8 GiB), checked at the
// boundaries (both ends, either side of 2^31, the threads' split points) and at a million sampled
// indices, then in full. Opt in with `ctest -L huge`; skipped with less than 9 GiB of free memory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <memory>
#include <random>
#include <vector>

#include "rectify/rectify.hpp"

namespace rectify {
namespace {

constexpr std::size_t kSize = (std::size_t{1} << 31) + 17;

// Every value from its index alone: both signs, zeros of both signs and a NaN now and then.
float input_at(std::size_t i) {
  const std::uint64_t h = (i * 0x9E3779B97F4A7C15ull) >> 40;  // 24 well-mixed bits
  if (h % 4099 == 0) return std::numeric_limits<float>::quiet_NaN();
  if (h % 1021 == 0) return (h & 1) ? -0.0f : 0.0f;
  return static_cast<float>(static_cast<std::int64_t>(h % 2001) - 1000) * 0.25f;
}

bool same_bits(float a, float b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// The reference: relu keeps NaN and -0.0 (README, "Semantics").
float relu_of(float x) {
  return x > 0.0f || x != x || x == 0.0f ? x : 0.0f;
}

std::size_t free_memory() {
  return static_cast<std::size_t>(::sysconf(_SC_AVPHYS_PAGES)) *
         static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

TEST(HugeSpan, InPlaceReluOverMoreThan2To31Floats) {
  if (free_memory() < (std::size_t{9} << 30)) {
    GTEST_SKIP() << "needs 9 GiB of free memory, " << (free_memory() >> 20) << " MiB free";
  }
  std::unique_ptr<float[]> data(new float[kSize]);
  const std::span<float> x(data.get(), kSize);
  const auto chunks = static_cast<std::int64_t>(kSize / 65536 + 1);
#pragma omp parallel for schedule(static)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::size_t begin = static_cast<std::size_t>(c) * 65536;
    for (std::size_t i = begin; i < std::min(kSize, begin + 65536); ++i) x[i] = input_at(i);
  }

  const auto start = std::chrono::steady_clock::now();
  forward(Activation(), x, x);  // in place
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "in-place relu over " << kSize << " floats: " << seconds << " s, "
            << 2.0 * 4.0 * static_cast<double>(kSize) / seconds / 1e9 << " GB/s read + written\n";

  std::vector<std::size_t> checked;
  for (std::size_t i = 0; i < 4096; ++i) {
    checked.push_back(i);
    checked.push_back(kSize - 1 - i);  // the last 4096, across 2^31, where a 32-bit index wraps
  }
  for (int threads = 1; threads <= 8; ++threads) {  // where the work may be split
    for (int p = 1; p < threads; ++p) {
      const std::size_t split =
          kSize / static_cast<std::size_t>(threads) * static_cast<std::size_t>(p);
      for (std::size_t d = 0; d < 256; ++d) checked.push_back(split - 128 + d);
    }
  }
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<std::size_t> anywhere(0, kSize - 1);
  for (int s = 0; s < 1000000; ++s) checked.push_back(anywhere(rng));
  for (const std::size_t i : checked) {
    ASSERT_TRUE(same_bits(x[i], relu_of(input_at(i))))
        << "index " << i << ": input " << input_at(i) << ", expected " << relu_of(input_at(i))
        << ", got " << x[i];
  }

  std::int64_t wrong = 0;
#pragma omp parallel for schedule(static) reduction(+ : wrong)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::size_t begin = static_cast<std::size_t>(c) * 65536;
    for (std::size_t i = begin; i < std::min(kSize, begin + 65536); ++i) {
      wrong += !same_bits(x[i], relu_of(input_at(i)));
    }
  }
  EXPECT_EQ(wrong, 0) << "of " << kSize << " elements";
}

}  // namespace
}  // namespace rectify
