// Checks shared by the commands' options, so that every command rejects the same values the same
// way (a usage error, exit status 2).
#pragma once

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <cmath>
#include <string>

namespace rectify::cli {

// More threads than this is a mistake, not a machine (OpenMP and OpenBLAS allocate per thread).
inline constexpr int kMaxThreads = 256;

// A finite number in [lo, hi]: NaN and infinities are refused, which CLI::Range lets through.
inline CLI::Validator finite_in(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(text, v) || !std::isfinite(v) || v < lo || v > hi) {
          return fmt::format("value {} is not a finite number in [{}, {}]", text, lo, hi);
        }
        return {};
      },
      fmt::format("FINITE in [{} - {}]", lo, hi));
}

// A positive finite number: 0 and NaN are mistakes, never "the default".
inline const CLI::Validator kPositiveFinite(
    [](std::string& text) -> std::string {
      double v = 0;
      if (!CLI::detail::lexical_cast(text, v) || !std::isfinite(v) || !(v > 0)) {
        return fmt::format("value {} is not a positive finite number", text);
      }
      return {};
    },
    "POSITIVE");

// A path must name something: an empty one would silently mean "the default".
inline const CLI::Validator kNonEmpty(
    [](std::string& text) -> std::string { return text.empty() ? "empty path" : std::string(); },
    "PATH");

}  // namespace rectify::cli
