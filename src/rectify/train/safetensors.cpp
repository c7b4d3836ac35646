#include "rectify/train/safetensors.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

namespace rectify::train {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

constexpr std::uint64_t kMaxHeader = 100u << 20;  // the format's own limit is 100 MB

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw CheckpointError(fmt::format("{}: {}", name, what));
}

// Writes all of `bytes` to fd or fails naming the file and the reason (e.g. no space left).
void write_all(int fd, const void* bytes, std::size_t size, const std::string& name) {
  const auto* p = static_cast<const char*>(bytes);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(name, fmt::format("write failed: {}", std::strerror(errno)));
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

// Makes a rename inside the directory of `path` durable.
void sync_directory_of(const std::filesystem::path& path) {
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(dir.string(), fmt::format("cannot open to sync: {}", std::strerror(errno)));
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) fail(dir.string(), fmt::format("fsync failed: {}", std::strerror(error)));
}

}  // namespace

void save_safetensors(const std::filesystem::path& path,
                      const std::map<std::string, std::string>& metadata,
                      const std::vector<TensorView>& tensors) {
  nlohmann::ordered_json header;
  header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    const std::uint64_t bytes = t.data.size() * sizeof(float);
    header[t.name] = {
        {"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // data starts 8-byte aligned, as the spec advises
  const std::uint64_t length = text.size();

  // Written in full to a temporary file and made durable before it replaces the old checkpoint;
  // then the directory is synced so that the rename itself survives a power cut.
  const std::string tmp = path.string() + ".tmp";
  const std::string unchanged = fmt::format("; {} is unchanged", path.string());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(tmp, fmt::format("cannot create: {}{}", std::strerror(errno), unchanged));
  try {
    write_all(fd, &length, sizeof length, tmp);
    write_all(fd, text.data(), text.size(), tmp);
    for (const auto& t : tensors) write_all(fd, t.data.data(), t.data.size_bytes(), tmp);
    if (::fsync(fd) != 0) fail(tmp, fmt::format("fsync failed: {}", std::strerror(errno)));
  } catch (const CheckpointError& e) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw CheckpointError(e.what() + unchanged);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    fail(tmp, fmt::format("close failed: {}{}", std::strerror(error), unchanged));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    fail(path.string(), fmt::format("cannot replace: {}{}", std::strerror(error), unchanged));
  }
  sync_directory_of(path);
}

SafetensorsFile parse_safetensors(std::span<const std::uint8_t> bytes, const std::string& name) {
  if (bytes.size() < 8)
    fail(name, fmt::format("{} bytes: too short for the 8-byte header length", bytes.size()));
  std::uint64_t length = 0;
  std::memcpy(&length, bytes.data(), 8);
  if (length > kMaxHeader || length > bytes.size() - 8) {
    fail(name, fmt::format("offset 0 (header length): {} exceeds the {} bytes that follow", length,
                           bytes.size() - 8));
  }
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + 8,
                                   bytes.begin() + 8 + static_cast<std::ptrdiff_t>(length));
  } catch (const nlohmann::json::exception& e) {
    fail(name, fmt::format("offset 8 (header): not valid JSON: {}", e.what()));
  }
  if (!header.is_object()) fail(name, "header: expected a JSON object");
  const std::span<const std::uint8_t> data = bytes.subspan(8 + length);
  SafetensorsFile file;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) fail(name, "__metadata__: expected an object of strings");
      for (const auto& [k, v] : value.items()) {
        if (!v.is_string()) fail(name, fmt::format("__metadata__.{}: expected a string", k));
        file.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    const auto where = fmt::format("tensor '{}'", key);
    if (!value.is_object() || !value.contains("dtype") || !value.contains("shape") ||
        !value.contains("data_offsets")) {
      fail(name, where + ": expected dtype, shape and data_offsets");
    }
    if (value["dtype"] != "F32") {
      fail(name, fmt::format("{}: dtype {} is not supported; expected \"F32\"", where,
                             value["dtype"].dump()));
    }
    StoredTensor t;
    std::uint64_t count = 1;
    if (!value["shape"].is_array()) fail(name, where + ": shape must be an array");
    for (const auto& d : value["shape"]) {
      if (!d.is_number_unsigned()) fail(name, where + ": shape must hold non-negative integers");
      const auto dim = d.get<std::uint64_t>();
      if (dim != 0 && count > (std::uint64_t{1} << 40) / dim)
        fail(name, where + ": shape too large");
      count *= dim;
      t.shape.push_back(static_cast<std::size_t>(dim));
    }
    const auto& offs = value["data_offsets"];
    if (!offs.is_array() || offs.size() != 2 || !offs[0].is_number_unsigned() ||
        !offs[1].is_number_unsigned()) {
      fail(name, where + ": data_offsets must be [begin, end]");
    }
    const auto begin = offs[0].get<std::uint64_t>(), end = offs[1].get<std::uint64_t>();
    if (begin > end || end > data.size()) {
      fail(name, fmt::format("{}: data_offsets [{}, {}] outside the {} data bytes", where, begin,
                             end, data.size()));
    }
    if (end - begin != count * sizeof(float)) {
      fail(name, fmt::format("{}: {} bytes for a shape of {} floats", where, end - begin, count));
    }
    t.data.resize(count);
    std::memcpy(t.data.data(), data.data() + begin, end - begin);
    ranges.emplace_back(begin, end);
    file.tensors.emplace(key, std::move(t));
  }
  std::sort(ranges.begin(), ranges.end());
  std::uint64_t expected = 0;
  for (const auto& [begin, end] : ranges) {
    if (begin != expected)
      fail(name, fmt::format("data: byte ranges overlap or leave a gap at {}", expected));
    expected = end;
  }
  if (expected != data.size()) {
    fail(name, fmt::format("data: {} bytes after the last tensor", data.size() - expected));
  }
  return file;
}

SafetensorsFile load_safetensors(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path.string(), "cannot open");
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  if (in.bad()) fail(path.string(), "read failed");
  return parse_safetensors(bytes, path.string());
}

}  // namespace rectify::train
