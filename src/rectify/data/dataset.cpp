#include "rectify/data/dataset.hpp"

#include <fmt/format.h>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "rectify/data/idx.hpp"
#include "rectify/data/sample.hpp"

namespace rectify::data {
namespace {

namespace fs = std::filesystem;

// The checks shared by files on disk and the embedded sample.
Dataset make_dataset(IdxArray images, std::string_view images_name, IdxArray labels,
                     std::string_view labels_name) {
  if (images.dims.size() != 3) {
    throw FormatError(fmt::format("{}: {} dimensions; expected 3 (count x rows x cols) for images",
                                  images_name, images.dims.size()));
  }
  if (labels.dims.size() != 1) {
    throw FormatError(fmt::format("{}: {} dimensions; expected 1 (count) for labels", labels_name,
                                  labels.dims.size()));
  }
  if (images.dims[0] != labels.dims[0]) {
    throw FormatError(
        fmt::format("{} holds {} images but {} holds {} labels; expected one "
                    "label per image",
                    images_name, images.dims[0], labels_name, labels.dims[0]));
  }
  const bool gzipped = labels_name.ends_with(".gz");  // then offsets count decompressed bytes
  for (std::size_t i = 0; i < labels.data.size(); ++i) {
    if (labels.data[i] >= kNumClasses) {
      throw FormatError(fmt::format("{}: {}offset {} (label {}): {}; expected 0 to {}", labels_name,
                                    gzipped ? "decompressed " : "", 8 + i, i, labels.data[i],
                                    kNumClasses - 1));
    }
  }
  Dataset d;
  d.count = images.dims[0];
  d.rows = images.dims[1];
  d.cols = images.dims[2];
  d.images = std::move(images.data);
  d.labels = std::move(labels.data);
  return d;
}

fs::path find_file(const fs::path& dir, const std::string& stem) {
  std::error_code ec;
  for (const fs::path& candidate : {dir / (stem + ".gz"), dir / stem}) {
    if (fs::exists(candidate, ec)) return candidate;
  }
  throw FormatError(fmt::format("{}: neither {}.gz nor {} is there", dir.string(), stem, stem));
}

void check_same_size(const FashionMnist& f) {
  if (f.train.rows != f.test.rows || f.train.cols != f.test.cols) {
    throw FormatError(
        fmt::format("{}: training images are {}x{} but test images are {}x{}; "
                    "expected one size",
                    f.source, f.train.rows, f.train.cols, f.test.rows, f.test.cols));
  }
}

FashionMnist load_dir(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw FormatError(fmt::format("{}: data set directory not found", dir.string()));
  }
  FashionMnist f{load_split(dir, "train"), load_split(dir, "t10k"), dir.string()};
  check_same_size(f);
  return f;
}

std::span<const std::uint8_t> embedded(std::string_view name) {
  for (const detail::EmbeddedFile& file : detail::embedded_sample()) {
    if (file.name == name) return file.bytes;
  }
  throw std::logic_error(fmt::format("{} is missing from the embedded sample", name));
}

Dataset load_embedded_split(std::string_view split) {
  const std::string images = fmt::format("{}-images-idx3-ubyte.gz", split);
  const std::string labels = fmt::format("{}-labels-idx1-ubyte.gz", split);
  const std::string images_name = "embedded:" + images;
  const std::string labels_name = "embedded:" + labels;
  return make_dataset(parse_idx(embedded(images), images_name), images_name,
                      parse_idx(embedded(labels), labels_name), labels_name);
}

}  // namespace

Dataset load_split(const fs::path& dir, std::string_view split) {
  if (split != "train" && split != "t10k") {
    throw std::invalid_argument(
        fmt::format("rectify::data::load_split: split is \"{}\", expected train or t10k", split));
  }
  const fs::path images = find_file(dir, fmt::format("{}-images-idx3-ubyte", split));
  const fs::path labels = find_file(dir, fmt::format("{}-labels-idx1-ubyte", split));
  return make_dataset(read_idx(images), images.string(), read_idx(labels), labels.string());
}

FashionMnist load_fashion_mnist(const std::optional<fs::path>& dir) {
  if (dir) return load_dir(*dir);
  std::error_code ec;
  if (fs::is_directory(fs::path(kDebianFashionMnistDir), ec)) {
    return load_dir(fs::path(kDebianFashionMnistDir));
  }
  return load_fashion_mnist_sample();
}

FashionMnist load_fashion_mnist_sample() {
  FashionMnist f{load_embedded_split("train"), load_embedded_split("t10k"),
                 std::string(kEmbeddedSampleSource)};
  check_same_size(f);
  return f;
}

FashionMnist hold_out(const FashionMnist& data, std::size_t count) {
  const Dataset& all = data.train;
  if (count >= all.count) {
    throw std::invalid_argument(fmt::format(
        "validation = {}: expected fewer than the {} training images", count, all.count));
  }
  const std::size_t kept = all.count - count, pixels = all.rows * all.cols;
  FashionMnist out{.test = data.test, .source = data.source};
  const auto part = [&](std::size_t first, std::size_t n) {
    const auto image = all.images.begin() + static_cast<std::ptrdiff_t>(first * pixels);
    const auto label = all.labels.begin() + static_cast<std::ptrdiff_t>(first);
    return Dataset{.images = {image, image + static_cast<std::ptrdiff_t>(n * pixels)},
                   .labels = {label, label + static_cast<std::ptrdiff_t>(n)},
                   .count = n,
                   .rows = all.rows,
                   .cols = all.cols};
  };
  out.train = part(0, kept);
  if (count > 0) out.validation = part(kept, count);
  return out;
}

FashionMnist first_training_images(const FashionMnist& data, std::size_t count) {
  if (count >= data.train.count) return data;
  auto out = hold_out(data, data.train.count - count);
  out.validation = {};
  return out;
}

}  // namespace rectify::data
