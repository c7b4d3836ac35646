// The bytes of a file being parsed: all in memory, or pulled from a stream in pieces so that a
// large file is never held whole (the gzip reader keeps only its window of compressed bytes).
// Internal to the data layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rectify::data::detail {

class ByteInput {
 public:
  static constexpr std::size_t kDefaultPiece = std::size_t{1} << 16;

  // Bytes in memory; they must outlive the input.
  ByteInput(std::span<const std::uint8_t> bytes, std::string_view name);
  // A stream read `piece` bytes at a time; `size` is its length when known (a regular file),
  // which bounds what a reader allocates ahead of the data. Read errors are FormatError.
  ByteInput(std::istream& stream, std::optional<std::uint64_t> size, std::string_view name,
            std::size_t piece = kDefaultPiece);

  // The unread bytes at hand, refilled when none are: empty only at the end of the input.
  std::span<const std::uint8_t> available();
  // At least n unread bytes at hand if the input still has them (fewer only at its end).
  std::span<const std::uint8_t> peek(std::size_t n);
  // Marks the first n bytes of available() as read.
  void consume(std::size_t n);
  // Drops the rest and returns how many bytes it held: counted from the size where it is known,
  // else read, up to `limit` bytes (limit + 1 then means more than the limit).
  std::uint64_t skip_rest(std::uint64_t limit);

  std::uint64_t offset() const { return offset_; }  // bytes read so far
  // Unread bytes, when the input's size is known.
  std::optional<std::uint64_t> remaining() const;
  const std::string& name() const { return name_; }

 private:
  void fill(std::size_t at_least);

  std::span<const std::uint8_t> memory_;
  std::istream* stream_ = nullptr;
  std::vector<std::uint8_t> window_;
  std::size_t begin_ = 0, end_ = 0;  // window_[begin_, end_) is unread
  std::size_t piece_ = kDefaultPiece;
  std::uint64_t offset_ = 0;
  std::optional<std::uint64_t> size_;
  bool stream_done_ = false;
  std::string name_;
};

}  // namespace rectify::data::detail
