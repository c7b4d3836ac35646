// Argument checks of the public kernel API: each failure is a std::invalid_argument saying
// which call, which argument and what was expected. Internal; not installed.
#pragma once

#include <fmt/format.h>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string_view>

namespace rectify::detail {

// The public call being checked, e.g. forward(relu); formatted only when a check fails.
struct Call {
  std::string_view what;
  std::string_view fn = {};
};

[[noreturn]] inline void fail(const Call& call, std::string_view message) {
  if (call.fn.empty()) {
    throw std::invalid_argument(fmt::format("rectify::{}: {}", call.what, message));
  }
  throw std::invalid_argument(fmt::format("rectify::{}({}): {}", call.what, call.fn, message));
}

template <class T>
void check_data(const Call& call, std::string_view name, std::span<T> s) {
  if (s.data() == nullptr && !s.empty()) {
    fail(call, fmt::format("{} is null but has {} elements", name, s.size()));
  }
}

template <class T>
void check_size(const Call& call, std::string_view name, std::span<T> s, std::size_t expected,
                std::string_view why) {
  check_data(call, name, s);
  if (s.size() != expected) {
    fail(call, fmt::format("{} has {} elements, expected {} ({})", name, s.size(), expected, why));
  }
}

// An output may be exactly an input (in place) or disjoint from it; anything else is an error.
template <class A, class B>
void check_no_partial_overlap(const Call& call, std::string_view in_name, std::span<A> in,
                              std::string_view out_name, std::span<B> out) {
  if (in.empty() || out.empty()) return;
  const auto* in_begin = reinterpret_cast<const std::byte*>(in.data());
  const auto* out_begin = reinterpret_cast<const std::byte*>(out.data());
  const auto* in_end = in_begin + in.size_bytes();
  const auto* out_end = out_begin + out.size_bytes();
  const bool disjoint = in_end <= out_begin || out_end <= in_begin;
  const bool same = in_begin == out_begin && in.size_bytes() == out.size_bytes();
  if (!disjoint && !same) {
    fail(call, fmt::format("{} partly overlaps {}; pass the same span to work in place, or "
                           "disjoint spans",
                           out_name, in_name));
  }
}

}  // namespace rectify::detail
