#include "rectify/diag/probe.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "rectify/act/reference.hpp"

namespace rectify::diag {
namespace {

// Whether any bit of [lo, hi) is set; whole bytes at a time where the range covers them.
bool any_bit(std::span<const std::uint8_t> mask, std::size_t lo, std::size_t hi) {
  while (lo < hi && lo % 8 != 0) {
    if (mask[lo / 8] >> (lo % 8) & 1u) return true;
    ++lo;
  }
  for (; lo + 8 <= hi; lo += 8) {
    if (mask[lo / 8] != 0) return true;
  }
  for (; lo < hi; ++lo) {
    if (mask[lo / 8] >> (lo % 8) & 1u) return true;
  }
  return false;
}

bool any_nonzero(std::span<const float> x, std::size_t lo, std::size_t hi) {
  for (std::size_t e = lo; e < hi; ++e) {
    if (x[e] != 0.0f) return true;  // NaN counts: a NaN gradient is not a dead unit
  }
  return false;
}

// Reads the space-separated tokens of a saved probe in order.
class Tokens {
 public:
  explicit Tokens(std::string_view text) : rest_(text) {}
  std::string_view next() {
    const auto begin = rest_.find_first_not_of(' ');
    if (begin == std::string_view::npos) fail();
    rest_.remove_prefix(begin);
    const auto token = rest_.substr(0, rest_.find(' '));
    rest_.remove_prefix(token.size());
    return token;
  }
  std::uint64_t number() {
    const auto t = next();
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || end != t.data() + t.size()) fail();
    return v;
  }
  double real() { return std::bit_cast<double>(number()); }  // stored as its bits: exact
  std::vector<std::uint8_t> flags(std::size_t n) {
    const auto t = next();
    if (t.size() != n + 1 || t[0] != 'f') fail();  // 'f' keeps an empty list a token
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (t[i + 1] != '0' && t[i + 1] != '1') fail();
      v[i] = t[i + 1] == '1';
    }
    return v;
  }
  bool done() const { return rest_.find_first_not_of(' ') == std::string_view::npos; }
  [[noreturn]] static void fail() { throw std::invalid_argument("malformed probe state"); }

 private:
  std::string_view rest_;
};

std::string flags_text(const std::vector<std::uint8_t>& v) {
  std::string t = "f";
  for (const auto f : v) t += f ? '1' : '0';
  return t;
}

}  // namespace

ActivationProbe::ActivationProbe(std::string layer, const Activation& a, bool from_mask)
    : layer_(std::move(layer)),
      flat_mask_(from_mask && a.has_mask() && ref::mask_slope(a).slope == 0.0) {}

void ActivationProbe::set_layout(UnitLayout layout) {
  if (layout == layout_ && !alive_.empty()) return;
  layout_ = layout;
  alive_.assign(layout.units, 0);
  was_dead_.assign(layout.units, 0);
  pending_.resize(layout.units);
  std::iota(pending_.begin(), pending_.end(), 0u);
  first_epoch_ = true;
}

// Marks alive every pending unit with an element e in [offset, offset + n) where flag(e - offset).
template <class Flag>
void ActivationProbe::mark_alive(std::size_t offset, std::size_t n, const Flag& flag) {
  if (n == 0) return;
  const std::size_t units = layout_.units, inner = layout_.inner;
  const std::size_t first = offset / inner, last = (offset + n - 1) / inner;  // element groups
  for (std::size_t p = 0; p < pending_.size();) {
    const std::size_t u = pending_[p];
    bool found = false;
    for (std::size_t k = first + (u + units - first % units) % units; k <= last && !found;
         k += units) {
      const std::size_t lo = std::max(k * inner, offset),
                        hi = std::min((k + 1) * inner, offset + n);
      found = flag(lo - offset, hi - offset);
    }
    if (found) {
      alive_[u] = 1;
      pending_[p] = pending_.back();
      pending_.pop_back();
    } else {
      ++p;
    }
  }
}

void ActivationProbe::forward(std::span<const float> y, std::size_t offset,
                              std::span<const std::uint8_t> mask) {
  values_ += value_stats(y);
  if (flat_mask_ && !mask.empty() && !pending_.empty()) {
    mark_alive(offset, y.size(),
               [&](std::size_t lo, std::size_t hi) { return any_bit(mask, lo, hi); });
  }
}

void ActivationProbe::gradient_at_output(std::span<const float> dy) {
  grad_sq_ += value_stats(dy).sum_sq;
}

void ActivationProbe::gradient_at_input(std::span<const float> dz, std::size_t offset) {
  if (flat_mask_ || pending_.empty()) return;
  mark_alive(offset, dz.size(),
             [&](std::size_t lo, std::size_t hi) { return any_nonzero(dz, lo, hi); });
}

LayerStats ActivationProbe::end_epoch() {
  LayerStats s{.layer = layer_, .units = layout_.units};
  const bool observed = values_.count > 0;
  for (std::size_t u = 0; u < alive_.size() && observed; ++u) {
    const bool dead = !alive_[u];
    s.dead += dead;
    if (!first_epoch_) {
      s.died += dead && !was_dead_[u];
      s.revived += !dead && was_dead_[u];
    }
    was_dead_[u] = dead;
  }
  s.sparsity = values_.zero_fraction();
  s.mean = values_.mean();
  s.stddev = values_.stddev();
  s.grad_norm = batches_ ? std::sqrt(grad_sq_ / static_cast<double>(batches_)) : 0.0;
  // Start the next epoch.
  if (observed) first_epoch_ = false;
  values_ = {};
  grad_sq_ = 0;
  batches_ = 0;
  std::fill(alive_.begin(), alive_.end(), 0);
  pending_.resize(layout_.units);
  std::iota(pending_.begin(), pending_.end(), 0u);
  return s;
}

std::vector<double> ActivationProbe::epoch_sums() const {
  std::vector<double> sums{static_cast<double>(values_.count),
                           static_cast<double>(values_.zeros),
                           values_.sum,
                           values_.sum_sq,
                           grad_sq_,
                           static_cast<double>(batches_)};
  for (const auto a : alive_) sums.push_back(a);
  return sums;
}

void ActivationProbe::set_epoch_sums(std::span<const double> sums) {
  if (sums.size() != 6 + alive_.size()) {
    throw std::invalid_argument(
        fmt::format("probe {}: {} sums for {} units", layer_, sums.size(), alive_.size()));
  }
  // Counts are exact in a double up to 2^53 elements.
  values_.count = static_cast<std::uint64_t>(sums[0]);
  values_.zeros = static_cast<std::uint64_t>(sums[1]);
  values_.sum = sums[2];
  values_.sum_sq = sums[3];
  grad_sq_ = sums[4];
  batches_ = static_cast<std::size_t>(sums[5]);
  pending_.clear();
  for (std::size_t u = 0; u < alive_.size(); ++u) {
    alive_[u] = sums[6 + u] > 0;
    if (!alive_[u]) pending_.push_back(static_cast<std::uint32_t>(u));
  }
}

std::string ActivationProbe::save() const {
  return fmt::format("{} {} {} {} {} {} {} {} {} {} {} {}", layout_.units, layout_.inner,
                     values_.count, values_.zeros, std::bit_cast<std::uint64_t>(values_.sum),
                     std::bit_cast<std::uint64_t>(values_.sum_sq),
                     std::bit_cast<std::uint64_t>(grad_sq_), batches_, first_epoch_ ? 1 : 0,
                     alive_.size(), flags_text(alive_), flags_text(was_dead_));
}

void ActivationProbe::restore(std::string_view text) {
  Tokens t(text);
  UnitLayout layout;
  layout.units = t.number();
  layout.inner = t.number();
  ValueStats values;
  values.count = t.number();
  values.zeros = t.number();
  values.sum = t.real();
  values.sum_sq = t.real();
  const double grad_sq = t.real();
  const std::uint64_t batches = t.number();
  const std::uint64_t first_epoch = t.number();
  const std::uint64_t units_seen = t.number();  // 0 before the first forward
  if (units_seen != 0 && units_seen != layout.units) Tokens::fail();
  auto alive = t.flags(static_cast<std::size_t>(units_seen));
  auto was_dead = t.flags(alive.size());
  if (!t.done() || first_epoch > 1) Tokens::fail();
  layout_ = layout;
  values_ = values;
  grad_sq_ = grad_sq;
  batches_ = static_cast<std::size_t>(batches);
  first_epoch_ = first_epoch == 1;
  alive_ = std::move(alive);
  was_dead_ = std::move(was_dead);
  pending_.clear();
  for (std::size_t u = 0; u < alive_.size(); ++u) {
    if (!alive_[u]) pending_.push_back(static_cast<std::uint32_t>(u));
  }
}

}  // namespace rectify::diag
