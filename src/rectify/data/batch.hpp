// From a byte data set to training batches: a seeded shuffle that is the same on every platform,
// and the conversion of the chosen images to normalised floats.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "rectify/data/dataset.hpp"

namespace rectify::data {

// Mean and standard deviation of Fashion-MNIST's training pixels scaled to [0, 1], over all
// 60000 x 28 x 28 of them (population std): 0.28604 and 0.35302, rounded as usually quoted.
// Normalising with them gives the inputs zero mean and unit variance, which He-style
// initialisation assumes.
inline constexpr float kFashionMnistMean = 0.2860f;
inline constexpr float kFashionMnistStd = 0.3530f;

// A uniform draw from [0, bound), bound >= 1, by rejection: unbiased, and fixed by the
// generator's output alone (std::uniform_int_distribution's algorithm differs by library).
std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t bound);

// Fisher-Yates with uniform_below: the same order for the same generator state everywhere
// (std::shuffle's is implementation-defined). Keep one generator per run for a new order each
// epoch.
void shuffle(std::span<std::size_t> indices, std::mt19937_64& rng);

// 0 .. n-1 shuffled by a generator seeded with seed.
std::vector<std::size_t> shuffled_indices(std::size_t n, std::uint64_t seed);

// The images and labels at `indices` as a batch: x (indices.size(), rows * cols) with each pixel
// p as (p / 255 - kFashionMnistMean) / kFashionMnistStd, y (indices.size()) the labels.
// std::invalid_argument if a size does not match or an index is out of range.
void fill_batch(const Dataset& data, std::span<const std::size_t> indices, std::span<float> x,
                std::span<std::int32_t> y);

}  // namespace rectify::data
