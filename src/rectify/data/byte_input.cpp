#include "rectify/data/byte_input.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cstring>

#include "rectify/data/format_error.hpp"

namespace rectify::data::detail {

ByteInput::ByteInput(std::span<const std::uint8_t> bytes, std::string_view name)
    : memory_(bytes), size_(bytes.size()), stream_done_(true), name_(name) {}

ByteInput::ByteInput(std::istream& stream, std::optional<std::uint64_t> size, std::string_view name,
                     std::size_t piece)
    : stream_(&stream), piece_(std::max<std::size_t>(piece, 1)), size_(size), name_(name) {}

std::span<const std::uint8_t> ByteInput::available() {
  if (stream_ == nullptr) return memory_.subspan(static_cast<std::size_t>(offset_));
  if (begin_ == end_) fill(1);
  return std::span<const std::uint8_t>(window_).subspan(begin_, end_ - begin_);
}

std::span<const std::uint8_t> ByteInput::peek(std::size_t n) {
  if (stream_ != nullptr && end_ - begin_ < n) fill(n);
  return available();
}

void ByteInput::consume(std::size_t n) {
  offset_ += n;
  if (stream_ != nullptr) begin_ += n;
}

std::uint64_t ByteInput::skip_rest(std::uint64_t limit) {
  if (const auto rest = remaining()) {  // a known size: counted without reading
    offset_ += *rest;
    begin_ = end_;
    stream_done_ = true;
    return std::min(*rest, limit + 1);
  }
  std::uint64_t skipped = 0;
  while (skipped <= limit) {
    const std::size_t n = available().size();
    if (n == 0) break;
    consume(n);
    skipped += n;
  }
  return std::min(skipped, limit + 1);
}

std::optional<std::uint64_t> ByteInput::remaining() const {
  if (!size_) return std::nullopt;
  return *size_ > offset_ ? *size_ - offset_ : 0;
}

// Moves the unread bytes to the front and reads until at least `at_least` are at hand or the
// stream ends.
void ByteInput::fill(std::size_t at_least) {
  if (begin_ > 0) {
    std::memmove(window_.data(), window_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  const std::size_t want = std::max(at_least, piece_);
  if (window_.size() < want) window_.resize(want);
  while (end_ < at_least && !stream_done_) {
    stream_->read(reinterpret_cast<char*>(window_.data() + end_),
                  static_cast<std::streamsize>(window_.size() - end_));
    const auto got = static_cast<std::size_t>(stream_->gcount());
    end_ += got;
    if (stream_->bad()) throw FormatError(fmt::format("{}: read error", name_));
    if (got == 0 || stream_->eof()) stream_done_ = true;
  }
}

}  // namespace rectify::data::detail
