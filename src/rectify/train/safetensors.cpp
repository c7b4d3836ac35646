#include "rectify/train/safetensors.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "rectify/io/atomic_file.hpp"

namespace rectify::train {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

constexpr std::uint64_t kMaxHeader = 100u << 20;  // the format's own limit is 100 MB

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw CheckpointError(fmt::format("{}: {}", name, what));
}

}  // namespace

std::filesystem::path save_target(const std::filesystem::path& path) {
  try {
    return io::replace_target(path);
  } catch (const io::FileError& e) {
    throw CheckpointError(e.what());
  }
}

void save_safetensors(const std::filesystem::path& where,
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

  // Written in full to FILE.tmp and made durable before it replaces the old checkpoint (the
  // second Ctrl-C removes FILE.tmp by that name).
  try {
    io::AtomicFile file(where, {.new_file_mode = 0644});
    file.write(&length, sizeof length);
    file.write(text);
    for (const auto& t : tensors) file.write(t.data.data(), t.data.size_bytes());
    file.commit();
  } catch (const io::FileError& e) {
    throw CheckpointError(e.what());
  }
}

namespace {

// A tensor's place in the data section, as the header gives it.
struct Extent {
  std::string key;
  std::uint64_t begin, end;
};

// Keys are unique in each JSON object: nlohmann keeps the last of two silently, so a file with a
// tensor or metadata key twice would be read differently by other readers.
nlohmann::json parse_header_json(std::span<const std::uint8_t> text, const std::string& name) {
  std::vector<std::set<std::string>> keys;
  const auto unique_keys = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (event == E::object_start) keys.emplace_back();
    if (event == E::object_end && !keys.empty()) keys.pop_back();
    if (event == E::key && !keys.empty() && !keys.back().insert(parsed.get<std::string>()).second) {
      fail(name, fmt::format("header: key {} appears twice", parsed.dump()));
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), unique_keys);
  } catch (const nlohmann::json::exception& e) {
    fail(name, fmt::format("offset 8 (header): not valid JSON: {}", e.what()));
  }
}

// Validates the header against a data section of data_size bytes: the metadata, every tensor's
// dtype, shape and byte range (inside the data, in order, without gaps or overlap). The tensors
// come back with their shapes and no data yet; extents say where each one's bytes are.
SafetensorsFile parse_header(std::span<const std::uint8_t> text, std::uint64_t data_size,
                             const std::string& name, std::vector<Extent>& extents) {
  const nlohmann::json header = parse_header_json(text, name);
  if (!header.is_object()) fail(name, "header: expected a JSON object");
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
    if (begin > end || end > data_size) {
      fail(name, fmt::format("{}: data_offsets [{}, {}] outside the {} data bytes", where, begin,
                             end, data_size));
    }
    if (end - begin != count * sizeof(float)) {
      fail(name, fmt::format("{}: {} bytes for a shape of {} floats", where, end - begin, count));
    }
    ranges.emplace_back(begin, end);
    extents.push_back({key, begin, end});
    file.tensors.emplace(key, std::move(t));
  }
  std::sort(ranges.begin(), ranges.end());
  std::uint64_t expected = 0;
  for (const auto& [begin, end] : ranges) {
    if (begin != expected)
      fail(name, fmt::format("data: byte ranges overlap or leave a gap at {}", expected));
    expected = end;
  }
  if (expected != data_size) {
    fail(name, fmt::format("data: {} bytes after the last tensor", data_size - expected));
  }
  return file;
}

// The header length of a file of `size` bytes, checked before anything else is read.
std::uint64_t header_length(std::span<const std::uint8_t, 8> first, std::uint64_t size,
                            const std::string& name) {
  std::uint64_t length = 0;
  std::memcpy(&length, first.data(), 8);
  if (length > kMaxHeader || length > size - 8) {
    fail(name,
         fmt::format("offset 0 (header length): {} exceeds the {} bytes that follow{}", length,
                     size - 8,
                     length > kMaxHeader ? fmt::format(" (at most {} accepted)", kMaxHeader) : ""));
  }
  return length;
}

// Reads exactly size bytes at offset, or fails naming the file.
void read_at(int fd, std::uint64_t offset, void* dst, std::size_t size, const std::string& name) {
  auto* p = static_cast<char*>(dst);
  while (size > 0) {
    const ssize_t n = ::pread(fd, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      fail(name, fmt::format("read failed at offset {}: {}", offset, std::strerror(errno)));
    if (n == 0) fail(name, fmt::format("the file ended at offset {} while being read", offset));
    p += n;
    offset += static_cast<std::uint64_t>(n);
    size -= static_cast<std::size_t>(n);
  }
}

}  // namespace

SafetensorsFile parse_safetensors(std::span<const std::uint8_t> bytes, const std::string& name) {
  if (bytes.size() < 8)
    fail(name, fmt::format("{} bytes: too short for the 8-byte header length", bytes.size()));
  const std::uint64_t length = header_length(bytes.first<8>(), bytes.size(), name);
  const auto data = bytes.subspan(8 + length);
  std::vector<Extent> extents;
  SafetensorsFile file = parse_header(bytes.subspan(8, length), data.size(), name, extents);
  for (const auto& e : extents) {
    auto& t = file.tensors.at(e.key);
    t.data.resize((e.end - e.begin) / sizeof(float));
    std::memcpy(t.data.data(), data.data() + e.begin, e.end - e.begin);
  }
  return file;
}

// Only what the header announces is read, and only once the header has been checked against the
// file's size: a huge or endless file (/dev/zero) is rejected after 8 bytes.
SafetensorsFile load_safetensors(const std::filesystem::path& path) {
  const std::string name = path.string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail(name, fmt::format("cannot open: {}", std::strerror(errno)));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail(name, fmt::format("cannot stat: {}", std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) {
    fail(name, fmt::format("is {}; expected a checkpoint file", io::file_type_name(st.st_mode)));
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < 8) fail(name, fmt::format("{} bytes: too short for the 8-byte header length", size));
  std::array<std::uint8_t, 8> first{};
  read_at(fd, 0, first.data(), 8, name);
  const std::uint64_t length = header_length(first, size, name);
  std::vector<std::uint8_t> text(length);
  read_at(fd, 8, text.data(), text.size(), name);
  std::vector<Extent> extents;
  SafetensorsFile file = parse_header(text, size - 8 - length, name, extents);
  for (const auto& e : extents) {
    auto& t = file.tensors.at(e.key);
    t.data.resize((e.end - e.begin) / sizeof(float));
    read_at(fd, 8 + length + e.begin, t.data.data(), e.end - e.begin, name);
  }
  return file;
}

}  // namespace rectify::train
