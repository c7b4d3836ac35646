// The files of data/fashion-mnist-sample, compiled into the library: embed_files.cmake writes
// their bytes into a generated source at build time. Internal to the data layer.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace rectify::data::detail {

struct EmbeddedFile {
  std::string_view name;  // the file name, e.g. train-images-idx3-ubyte.gz
  std::span<const std::uint8_t> bytes;
};

std::span<const EmbeddedFile> embedded_sample();

}  // namespace rectify::data::detail
