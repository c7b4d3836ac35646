// Labelled image data sets stored as IDX files (Fashion-MNIST, MNIST), kept as bytes: a float
// copy of Fashion-MNIST's training images would take 188 MB, so batches are converted one at a
// time (batch.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rectify::data {

struct Dataset {
  std::vector<std::uint8_t> images;  // (count, rows, cols), row-major; 0 is the background
  std::vector<std::uint8_t> labels;  // (count), each < kNumClasses
  std::size_t count = 0;
  std::size_t rows = 0;
  std::size_t cols = 0;
};

inline constexpr std::size_t kNumClasses = 10;
// Fashion-MNIST's classes, indexed by label (the data set's README).
inline constexpr std::array<std::string_view, kNumClasses> kClassNames = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

// Loads one split of an IDX data set from dir: `<split>-images-idx3-ubyte` and
// `<split>-labels-idx1-ubyte`, each gzipped (the `.gz` name is tried first) or raw. split is
// "train" or "t10k" (std::invalid_argument otherwise). Checks that the images are 3-D, the labels
// 1-D, their counts equal and every label below kNumClasses: FormatError naming the file if not.
Dataset load_split(const std::filesystem::path& dir, std::string_view split);

struct FashionMnist {
  Dataset train;
  Dataset test;
  std::string source;  // the directory it was loaded from, or kEmbeddedSampleSource
  // Held out of the training images to choose hyperparameters on (never the test set); empty
  // unless hold_out() made it. Training evaluates it after every epoch when it is not empty.
  Dataset validation;
};

// The last `count` training images as the validation set, the others as the training set; the
// test set unchanged. std::invalid_argument unless 0 <= count < the training images.
FashionMnist hold_out(const FashionMnist& data, std::size_t count);

// The first `count` training images (all of them when there are fewer); the test set unchanged.
FashionMnist first_training_images(const FashionMnist& data, std::size_t count);

// Where Debian's dataset-fashion-mnist package installs the full data set (gzipped IDX).
inline constexpr std::string_view kDebianFashionMnistDir = "/usr/share/datasets/fashion-mnist";
inline constexpr std::string_view kEmbeddedSampleSource =
    "embedded sample (the first 2000 training and 500 test images of Fashion-MNIST)";

// With dir: loads both splits from it (FormatError if it is missing). Without: from
// kDebianFashionMnistDir when that directory exists, else the embedded sample. Either way the
// training and test images must have one size.
FashionMnist load_fashion_mnist(const std::optional<std::filesystem::path>& dir = std::nullopt);

// The sample compiled into the library (data/fashion-mnist-sample/README.md says how it was
// taken): loads with no file present, from an installed binary anywhere.
FashionMnist load_fashion_mnist_sample();

}  // namespace rectify::data
