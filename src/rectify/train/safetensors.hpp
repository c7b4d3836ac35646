// The safetensors file layout, so PyTorch users can read rectify's weights: an 8-byte
// little-endian header length, a JSON header (dtype, shape and byte range of every tensor, plus
// string metadata under "__metadata__"), then the raw little-endian float32 data.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace rectify::train {

// A malformed or unreadable file; the message names the file and what was wrong where.
class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TensorView {
  std::string name;
  std::vector<std::size_t> shape;
  std::span<const float> data;  // shape's product elements
};

struct StoredTensor {
  std::vector<std::size_t> shape;
  std::vector<float> data;
};

struct SafetensorsFile {
  std::map<std::string, std::string> metadata;
  std::map<std::string, StoredTensor> tensors;
};

// The file a save to `path` replaces: `path`, or the file it names when it is a symbolic link.
// CheckpointError unless that is a regular file the user may write, or does not exist yet: a
// device, a FIFO or a directory is never replaced by a checkpoint.
std::filesystem::path save_target(const std::filesystem::path& path);

// Writes to `path` + ".tmp" (`path` as save_target() resolves it), flushes it to disk (fsync),
// renames it over `path` and syncs the directory: a crash at any moment leaves the old file or the
// new one, never a mix. CheckpointError when writing fails, e.g. on a full disk: the message names
// the file and the reason, the old file stays as it was and the temporary file is removed. A file
// replaced keeps its permission bits.
void save_safetensors(const std::filesystem::path& path,
                      const std::map<std::string, std::string>& metadata,
                      const std::vector<TensorView>& tensors);

// Reads and validates everything: header length (checked against the file's size before the
// header is read; a directory or a device is an error), JSON (a key given twice is an error), dtype
// (F32 only), shapes, byte ranges (inside the file, in order, without gaps or overlap), the file
// size.
SafetensorsFile load_safetensors(const std::filesystem::path& path);
// The same over bytes already in memory; `name` is used in messages.
SafetensorsFile parse_safetensors(std::span<const std::uint8_t> bytes, const std::string& name);

}  // namespace rectify::train
