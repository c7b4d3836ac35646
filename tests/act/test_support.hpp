// Shared helpers of the activation tests: SIMD target sweeps, special values, ULP distance,
// random data and the sizes around every vector width.
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "rectify/rectify.hpp"

namespace rectify::testing {

// The function called `name` with these parameters (in the registry's order).
inline Activation make(std::string_view name, std::initializer_list<double> values = {}) {
  const FunctionInfo* f = find_function(name);
  if (f == nullptr) throw std::invalid_argument("no function " + std::string(name));
  return Activation(f->fn, values);
}

// Every registry function at its defaults and at the parameterisations its definition lists
// (test_specs), those whose metadata passes `keep`: what every suite covers.
template <class Keep>
std::vector<Activation> registry_cases(const Keep& keep) {
  std::vector<Activation> cases;
  for (const auto& f : registry()) {
    if (!keep(f)) continue;
    cases.emplace_back(f.fn);
    for (const auto spec : f.test_specs) cases.push_back(Activation::parse(spec));
  }
  return cases;
}
inline std::vector<Activation> registry_cases() {
  return registry_cases([](const FunctionInfo&) { return true; });
}

// Runs body once per SIMD target this CPU can run, with the kernels pinned to it.
template <class Body>
void for_each_target(const Body& body) {
  for (const auto& target : simd::available_targets()) {
    SCOPED_TRACE("SIMD target " + target);
    simd::force_target(target);
    body(target);
  }
  simd::reset_target();
}

inline std::vector<float> special_values() {
  constexpr float inf = std::numeric_limits<float>::infinity();
  constexpr float nan = std::numeric_limits<float>::quiet_NaN();
  constexpr float denorm = std::numeric_limits<float>::denorm_min();
  constexpr float tiny = std::numeric_limits<float>::min();
  constexpr float big = std::numeric_limits<float>::max();
  return {0.0f,
          -0.0f,
          1.0f,
          -1.0f,
          6.0f,
          -6.0f,
          std::nextafter(6.0f, 0.0f),
          std::nextafter(6.0f, 7.0f),
          inf,
          -inf,
          nan,
          -nan,
          denorm,
          -denorm,
          tiny,
          -tiny,
          big,
          -big,
          1e-30f,
          -1e-30f,
          20.0f,
          std::nextafter(20.0f, 21.0f),
          88.0f,
          -88.0f,
          89.0f,
          -104.0f,
          0.01f,
          -0.01f,
          0.5f,
          -0.5f,
          3.0f,
          -3.0f,
          10.0f,
          -10.0f,
          1e5f,
          -1e5f,
          1e-5f,
          -1e-5f,
          1e-38f,
          -1e-38f};
}

// Lengths 0 .. 3 x the widest vector + 1, around the 64-element block, and large odd ones.
inline std::vector<std::size_t> awkward_sizes() {
  std::vector<std::size_t> sizes;
  for (std::size_t n = 0; n <= 3 * 16 + 1; ++n) sizes.push_back(n);
  for (std::size_t n : {63, 64, 65, 127, 128, 129, 191, 193, 1000, 4097, 65537, 300001}) {
    sizes.push_back(n);
  }
  return sizes;
}

// Random values spread over many magnitudes, with special values mixed in.
inline std::vector<float> random_values(std::size_t n, std::uint32_t seed, float scale = 8.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  const auto specials = special_values();
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = (rng() % 16 == 0) ? specials[rng() % specials.size()] : normal(rng);
  }
  return v;
}

// Position of a float on a line where adjacent floats are 1 apart (-0.0 and 0.0 coincide).
inline std::int64_t ordinal(float f) {
  const auto bits = static_cast<std::int64_t>(std::bit_cast<std::uint32_t>(f) & 0x7fffffffu);
  return std::signbit(f) ? -bits : bits;
}

// ULP distance; 0 for two NaNs, "infinite" for NaN against a number.
inline std::int64_t ulp_distance(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) {
    return std::isnan(a) && std::isnan(b) ? 0 : std::numeric_limits<std::int64_t>::max();
  }
  const auto d = ordinal(a) - ordinal(b);
  return d < 0 ? -d : d;
}

// Bit-identical, except that any NaN matches any NaN.
inline bool same_float(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
}

// The message of the std::invalid_argument that `f` throws, or "" when it throws none.
template <class F>
std::string error_of(const F& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// A test-name-safe spelling of a parameterised case: its spec, with an index if asked.
inline std::string case_name(const ::testing::TestParamInfo<Activation>& info) {
  std::string s = info.param.to_string() + "_" + std::to_string(info.index);
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

inline std::string describe(float f) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g (%a)", static_cast<double>(f), static_cast<double>(f));
  return buf;
}

}  // namespace rectify::testing
