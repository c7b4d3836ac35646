// Data sets from IDX files: the embedded sample, Debian's full Fashion-MNIST when installed, any
// directory, and an error naming the file for every inconsistency between images and labels.
#include <gtest/gtest.h>

#include <array>
#include <stdexcept>

#include "data_support.hpp"
#include "rectify/data/dataset.hpp"

namespace rectify::data {
namespace {

namespace fs = std::filesystem;
using testing::Bytes;
using testing::expect_format_error;

// Label histograms of the sample's records, counted from Debian's files with Python.
constexpr std::array<std::size_t, 10> kSampleTrainClasses = {194, 216, 202, 195, 186,
                                                             200, 194, 215, 198, 200};
constexpr std::array<std::size_t, 10> kSampleTestClasses = {55, 52, 65, 46, 57, 39, 47, 47, 44, 48};

std::array<std::size_t, 10> histogram(const Dataset& d) {
  std::array<std::size_t, 10> h{};
  for (const std::uint8_t label : d.labels) ++h.at(label);
  return h;
}

void expect_shape(const Dataset& d, std::size_t count) {
  EXPECT_EQ(d.count, count);
  EXPECT_EQ(d.rows, 28u);
  EXPECT_EQ(d.cols, 28u);
  EXPECT_EQ(d.images.size(), count * 28 * 28);
  EXPECT_EQ(d.labels.size(), count);
}

TEST(FashionMnistSample, LoadsFromTheLibraryItself) {
  const FashionMnist f = load_fashion_mnist_sample();
  EXPECT_EQ(f.source, kEmbeddedSampleSource);
  expect_shape(f.train, 2000);
  expect_shape(f.test, 500);
  EXPECT_EQ(histogram(f.train), kSampleTrainClasses);  // also: every label < 10
  EXPECT_EQ(histogram(f.test), kSampleTestClasses);
  const Bytes first_train = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
  const Bytes first_test = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
  EXPECT_EQ(Bytes(f.train.labels.begin(), f.train.labels.begin() + 10), first_train);
  EXPECT_EQ(Bytes(f.test.labels.begin(), f.test.labels.begin() + 10), first_test);
  EXPECT_EQ(kClassNames[f.train.labels[0]], "Ankle boot");
  EXPECT_EQ(f.train.images[0], 0);  // the corners of Fashion-MNIST images are background
  EXPECT_NE(*std::max_element(f.train.images.begin(), f.train.images.begin() + 784), 0);
}

TEST(FashionMnistSample, ClassNamesFollowTheLabels) {
  EXPECT_EQ(kClassNames[0], "T-shirt/top");
  EXPECT_EQ(kClassNames[6], "Shirt");
  EXPECT_EQ(kClassNames[9], "Ankle boot");
}

bool debian_present() {
  return fs::is_directory(fs::path(kDebianFashionMnistDir));
}

// The full data set, loaded once for the tests that need it.
class DebianFashionMnist : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (debian_present()) full_ = new FashionMnist(load_fashion_mnist());
  }
  static void TearDownTestSuite() {
    delete full_;
    full_ = nullptr;
  }
  void SetUp() override {
    if (full_ == nullptr) GTEST_SKIP() << kDebianFashionMnistDir << " is absent";
  }
  static inline FashionMnist* full_ = nullptr;
};

TEST_F(DebianFashionMnist, IsTheDefaultWhenPresent) {
  EXPECT_EQ(full_->source, kDebianFashionMnistDir);
  expect_shape(full_->train, 60000);
  expect_shape(full_->test, 10000);
}

TEST_F(DebianFashionMnist, SampleIsItsFirstRecords) {
  const FashionMnist sample = load_fashion_mnist_sample();
  for (const auto& [part, whole] :
       {std::pair(&sample.train, &full_->train), std::pair(&sample.test, &full_->test)}) {
    EXPECT_TRUE(std::equal(part->images.begin(), part->images.end(), whole->images.begin()));
    EXPECT_TRUE(std::equal(part->labels.begin(), part->labels.end(), whole->labels.begin()));
  }
}

TEST(FashionMnistDefault, FallsBackToTheSampleWithoutDebian) {
  if (debian_present()) GTEST_SKIP() << kDebianFashionMnistDir << " is present";
  EXPECT_EQ(load_fashion_mnist().source, kEmbeddedSampleSource);
}

// A split of `labels.size()` images of rows x cols, its files raw or gzipped.
void write_split(const fs::path& dir, std::string_view split, std::uint32_t rows,
                 std::uint32_t cols, const Bytes& labels, bool gz) {
  const auto n = static_cast<std::uint32_t>(labels.size());
  Bytes label_file = testing::make_idx({n});
  std::copy(labels.begin(), labels.end(), label_file.begin() + 8);
  const Bytes image_file = testing::make_idx({n, rows, cols}, 3);
  const std::string suffix = gz ? ".gz" : "";
  testing::write_file(dir / (std::string(split) + "-images-idx3-ubyte" + suffix),
                      gz ? testing::gzip(image_file) : image_file);
  testing::write_file(dir / (std::string(split) + "-labels-idx1-ubyte" + suffix),
                      gz ? testing::gzip(label_file) : label_file);
}

TEST(LoadFromDirectory, ReadsRawAndGzippedSplits) {
  testing::ScratchDir dir;
  write_split(dir.path(), "train", 4, 3, {0, 9, 1, 8, 2}, false);
  write_split(dir.path(), "t10k", 4, 3, {7, 7}, true);
  const FashionMnist f = load_fashion_mnist(dir.path());
  EXPECT_EQ(f.source, dir.path().string());
  EXPECT_EQ(f.train.count, 5u);
  EXPECT_EQ(f.train.rows, 4u);
  EXPECT_EQ(f.train.cols, 3u);
  EXPECT_EQ(f.train.labels, (Bytes{0, 9, 1, 8, 2}));
  EXPECT_EQ(f.train.images.size(), 60u);
  EXPECT_EQ(f.train.images[1], 4);
  EXPECT_EQ(f.test.labels, (Bytes{7, 7}));
}

TEST(LoadFromDirectory, MissingDirectoryOrFileIsAnError) {
  testing::ScratchDir dir;
  const fs::path absent = dir.path() / "absent";
  expect_format_error([&] { load_fashion_mnist(absent); },
                      {absent.string(), "data set directory not found"});
  testing::write_file(dir.path() / "train-images-idx3-ubyte", testing::make_idx({1, 2, 2}));
  expect_format_error(
      [&] { load_split(dir.path(), "train"); },
      {dir.path().string(), "neither train-labels-idx1-ubyte.gz nor train-labels-idx1-ubyte"});
}

TEST(LoadFromDirectory, SplitMustBeTrainOrT10k) {
  testing::ScratchDir dir;
  EXPECT_THROW(load_split(dir.path(), "test"), std::invalid_argument);
}

TEST(LoadFromDirectory, ImagesMustBe3DAndLabels1D) {
  testing::ScratchDir dir;
  const fs::path images = dir.path() / "train-images-idx3-ubyte";
  const fs::path labels = dir.path() / "train-labels-idx1-ubyte";
  testing::write_file(images, testing::make_idx({2, 4}));
  testing::write_file(labels, testing::make_idx({2}));
  expect_format_error([&] { load_split(dir.path(), "train"); },
                      {images.string(), "2 dimensions; expected 3 (count x rows x cols)"});
  testing::write_file(images, testing::make_idx({2, 2, 2}));
  testing::write_file(labels, testing::make_idx({2, 1}));
  expect_format_error([&] { load_split(dir.path(), "train"); },
                      {labels.string(), "2 dimensions; expected 1 (count)"});
}

TEST(LoadFromDirectory, CountsMustMatch) {
  testing::ScratchDir dir;
  testing::write_file(dir.path() / "t10k-images-idx3-ubyte", testing::make_idx({5, 2, 2}));
  testing::write_file(dir.path() / "t10k-labels-idx1-ubyte", testing::make_idx({4}));
  expect_format_error([&] { load_split(dir.path(), "t10k"); },
                      {"t10k-images-idx3-ubyte holds 5 images but",
                       "t10k-labels-idx1-ubyte holds 4 labels", "one label per image"});
}

TEST(LoadFromDirectory, LabelsMustBeBelowTen) {
  testing::ScratchDir dir;
  write_split(dir.path(), "train", 2, 2, {1, 2, 3, 10, 4}, false);
  expect_format_error([&] { load_split(dir.path(), "train"); },
                      {"train-labels-idx1-ubyte: offset 11 (label 3): 10; expected 0 to 9"});
  write_split(dir.path(), "t10k", 2, 2, {255}, true);
  expect_format_error([&] { load_split(dir.path(), "t10k"); },
                      {"t10k-labels-idx1-ubyte.gz: decompressed offset 8 (label 0): 255"});
}

TEST(LoadFromDirectory, TrainingAndTestImagesMustHaveOneSize) {
  testing::ScratchDir dir;
  write_split(dir.path(), "train", 28, 28, {1}, false);
  write_split(dir.path(), "t10k", 20, 28, {1}, false);
  expect_format_error([&] { load_fashion_mnist(dir.path()); },
                      {"training images are 28x28 but test images are 20x28"});
}

TEST(LoadFromDirectory, ADamagedFileIsNamed) {
  testing::ScratchDir dir;
  write_split(dir.path(), "train", 3, 3, {1, 2}, true);
  const fs::path images = dir.path() / "train-images-idx3-ubyte.gz";
  Bytes gz = testing::read_file(images);
  gz.resize(gz.size() / 2);
  testing::write_file(images, gz);
  expect_format_error([&] { load_split(dir.path(), "train"); },
                      {images.string() + ": truncated gzip stream"});
}

}  // namespace
}  // namespace rectify::data
