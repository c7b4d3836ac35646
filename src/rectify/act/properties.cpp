#include "rectify/act/properties.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "rectify/act/reference.hpp"
#include "rectify/act/registry.hpp"

namespace rectify {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Tolerances, each relative to max(1, |value|).
constexpr double kJumpTolerance = 1e-13;        // a step between neighbouring doubles, not rounding
constexpr double kContinuityTolerance = 1e-8;   // |f(x+) - f(x-)|
constexpr double kDerivativeTolerance = 1e-6;   // one-sided finite differences agree
constexpr double kSaturationSlope = 1e-9;       // secant slope over the outermost decade
constexpr double kFiniteDifferenceStep = 1e-5;  // second-order stencil: error ~1e-10

double scale(double v) {
  return std::max(1.0, std::fabs(v));
}

// Every 1e-3 on [-10, 10] (exact at the integers, where the family's clip points are), and
// 1000 points a decade from 1e-6 to the limit on both sides.
std::vector<double> probe_grid(double limit) {
  std::vector<double> grid{-limit, limit};
  for (int i = -10000; i <= 10000; ++i) {
    const double x = i / 1000.0;
    if (std::fabs(x) <= limit) grid.push_back(x);
  }
  for (int k = -6000;; ++k) {
    const double x = std::pow(10.0, k / 1000.0);
    if (x > limit) break;
    grid.push_back(x);
    grid.push_back(-x);
  }
  std::sort(grid.begin(), grid.end());
  // Where the two grids meet, points a few ulps apart would look like a flat piece of f.
  const auto too_close = [](double a, double b) {
    return b - a <= 1e-12 * std::max(std::fabs(a), std::fabs(b));
  };
  grid.erase(std::unique(grid.begin(), grid.end(), too_close), grid.end());
  return grid;
}

// Of two neighbouring doubles, the one with the shorter decimal form: relu6's kink lies between
// 5.999999999999999 and 6 and is reported as 6.
double simpler_of(double a, double b) {
  return fmt::format("{}", b).size() < fmt::format("{}", a).size() ? b : a;
}

// Narrows [a, b] by bisection, following the half where h changes more, down to neighbouring
// doubles. A jump survives that; a merely steep h does not.
template <class H>
std::optional<double> locate_jump(const H& h, double a, double b) {
  double ha = h(a), hb = h(b);
  while (std::fabs(hb - ha) > kJumpTolerance * std::max(scale(ha), scale(hb))) {
    const double m = a + (b - a) / 2;
    if (m <= a || m >= b) return simpler_of(a, b);
    const double hm = h(m);
    if (std::fabs(hm - ha) >= std::fabs(hb - hm)) {
      b = m;
      hb = hm;
    } else {
      a = m;
      ha = hm;
    }
  }
  return std::nullopt;
}

// Points where h jumps. Candidates are grid intervals where h changes much faster than on both
// neighbouring intervals; bisection then decides.
template <class H>
std::vector<double> find_jumps(const H& h, const std::vector<double>& grid) {
  std::vector<double> rate(grid.size() - 1);
  double previous = h(grid[0]);
  for (std::size_t i = 0; i + 1 < grid.size(); ++i) {
    const double next = h(grid[i + 1]);
    rate[i] = std::fabs(next - previous) / (grid[i + 1] - grid[i]);
    previous = next;
  }
  std::vector<double> jumps;
  for (std::size_t i = 0; i < rate.size(); ++i) {
    const double left = i > 0 ? rate[i - 1] : 0.0, right = i + 1 < rate.size() ? rate[i + 1] : 0.0;
    if (!(rate[i] > 4 * std::max(left, right))) continue;
    if (const auto x = locate_jump(h, grid[i], grid[i + 1])) jumps.push_back(*x);
  }
  return jumps;
}

// Maximal runs [begin, end) of equal values on the grid.
struct Run {
  std::size_t begin, end;
};

std::vector<Run> equal_runs(const std::vector<double>& y) {
  std::vector<Run> runs;
  std::size_t begin = 0;
  for (std::size_t i = 1; i <= y.size(); ++i) {
    if (i == y.size() || !(y[i] == y[begin])) {
      runs.push_back({begin, i});
      begin = i;
    }
  }
  return runs;
}

// Whether a run of equal values is f itself being constant there, rather than f rounding to its
// asymptote in double (sigmoid is exactly 1 from x = 37 on, and steps by single ulps before). A
// flat piece ends where f or f' jumps (relu below 0, relu6 above 6), or not at all.
bool is_flat_piece(const std::vector<double>& grid, const Run& run,
                   const std::vector<double>& jumps) {
  if (run.begin == 0 && run.end == grid.size()) return true;
  const auto jump_between = [&](double a, double b) {
    return std::any_of(jumps.begin(), jumps.end(), [&](double x) { return x >= a && x <= b; });
  };
  return (run.begin > 0 && jump_between(grid[run.begin - 1], grid[run.begin])) ||
         (run.end < grid.size() && jump_between(grid[run.end - 1], grid[run.end]));
}

// The lower end of the range; the upper end is that of -f.
RangeBound lower_end(const std::vector<double>& grid, const std::vector<double>& y,
                     std::vector<double> limits, const std::vector<double>& jumps) {
  double lowest = kInf;
  for (double v : y) lowest = std::fmin(lowest, v);
  double limit = kInf;
  for (double v : limits) limit = std::fmin(limit, v);
  if (limit < lowest) return {limit, false};
  // Taken inside the grid (gelu's minimum), or on a flat piece reaching an end (relu's 0); a run
  // at an end without a jump is f rounding to its limit (sigmoid's 0).
  bool closed = false;
  for (const auto& run : equal_runs(y)) {
    const bool inside = run.begin > 0 && run.end < grid.size();
    if (y[run.begin] == lowest && (inside || is_flat_piece(grid, run, jumps))) closed = true;
  }
  return {lowest + 0.0, closed};  // + 0.0: -0 is reported as 0
}

// lim f(x) as x -> +-inf: f(+-inf), or f(+-DBL_MAX) where that is NaN (gelu(-inf) = -inf * 0).
template <class F>
double limit_at(const F& f, double infinity) {
  const double v = f(infinity);
  return std::isnan(v) ? f(std::copysign(DBL_MAX, infinity)) : v;
}

Monotonicity monotonicity_of(const std::vector<double>& grid, const std::vector<double>& y,
                             const std::vector<double>& jumps) {
  for (std::size_t i = 0; i + 1 < y.size(); ++i) {
    if (y[i + 1] < y[i]) return Monotonicity::not_monotonic;
  }
  for (const auto& run : equal_runs(y)) {
    if (run.end - run.begin > 1 && is_flat_piece(grid, run, jumps)) {
      return Monotonicity::non_decreasing;
    }
  }
  return Monotonicity::strictly_increasing;
}

// One-sided second-order stencils, anchored at the neighbouring double so that at a jump each
// side sees only its own piece.
template <class F>
SpecialPoint measure_point(const Activation& a, const F& f, double x) {
  const double below = std::nextafter(x, -kInf), above = std::nextafter(x, kInf);
  const double h = kFiniteDifferenceStep * scale(x);
  SpecialPoint p{.x = x};
  p.jump = std::fabs(f(above) - f(below));
  p.continuous = p.jump <= kContinuityTolerance * scale(f(x));
  p.left_derivative = (3 * f(below) - 4 * f(below - h) + f(below - 2 * h)) / (2 * h) + 0.0;
  p.right_derivative = (-3 * f(above) + 4 * f(above + h) - f(above + 2 * h)) / (2 * h) + 0.0;
  p.backward = ref::backward<double>(a, x, 1.0) + 0.0;
  p.differentiable = p.continuous && std::fabs(p.left_derivative - p.right_derivative) <=
                                         kDerivativeTolerance * std::max(scale(p.left_derivative),
                                                                         scale(p.right_derivative));
  return p;
}

// |f(far) - f(far / 10)| / (0.9 far): f' -> 0 shows as a vanishing slope over the outer decade.
template <class F>
bool saturates(const F& f, double far) {
  const double slope = std::fabs(f(far) - f(far / 10)) / (0.9 * std::fabs(far));
  return slope <= kSaturationSlope;
}

// Quantile function of N(0, 1): Acklam's rational approximation (relative error 1.2e-9), then
// one Halley step on erfc, which brings it to double precision.
double normal_quantile(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549671010114356e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double tail = 0.02425;
  const auto tail_value = [&](double q) {
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  };
  double x;
  if (p < tail) {
    x = tail_value(std::sqrt(-2 * std::log(p)));
  } else if (p > 1 - tail) {
    x = -tail_value(std::sqrt(-2 * std::log1p(-p)));
  } else {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  const double e = 0.5 * std::erfc(-x * ref::kInvSqrt2) - p;
  const double u = e / ref::kInvSqrt2Pi * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

// The midpoint quantiles (i + 1/2) / n: deterministic, symmetric, and far more accurate for
// means than a random sample of the same size. Computed once per size.
std::shared_ptr<const std::vector<double>> normal_quantiles(std::size_t n) {
  static std::mutex mutex;
  static std::shared_ptr<const std::vector<double>> cached;
  const std::lock_guard lock(mutex);
  if (!cached || cached->size() != n) {
    auto x = std::make_shared<std::vector<double>>(n);
    for (std::size_t i = 0; i < n; ++i) {
      (*x)[i] = normal_quantile((static_cast<double>(i) + 0.5) / static_cast<double>(n));
    }
    cached = std::move(x);
  }
  return cached;
}

NormalInputStats normal_input_stats(const Activation& a, std::size_t n) {
  const auto quantiles = normal_quantiles(n);
  std::vector<double> y(n);
  double sum = 0;
  std::size_t zeros = 0, zero_gradients = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = (*quantiles)[i];
    y[i] = ref::forward<double>(a, x);
    sum += y[i];
    zeros += y[i] == 0.0;
    zero_gradients += ref::backward<double>(a, x, 1.0) == 0.0;
  }
  const double count = static_cast<double>(n), mean = sum / count;
  double squares = 0;
  for (double v : y) squares += (v - mean) * (v - mean);
  return {.samples = n,
          .mean = mean + 0.0,
          .stddev = std::sqrt(squares / count),
          .zero_fraction = static_cast<double>(zeros) / count,
          .zero_gradient_fraction = static_cast<double>(zero_gradients) / count};
}

std::string bound_text(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.6g}", v);
}

}  // namespace

bool Range::bounded_below() const {
  return std::isfinite(lower.value);
}

bool Range::bounded_above() const {
  return std::isfinite(upper.value);
}

std::string Range::text() const {
  return fmt::format("{}{}, {}{}", lower.closed ? '[' : '(', bound_text(lower.value),
                     bound_text(upper.value), upper.closed ? ']' : ')');
}

std::string_view monotonicity_name(Monotonicity m) {
  switch (m) {
    case Monotonicity::strictly_increasing:
      return "strictly increasing";
    case Monotonicity::non_decreasing:
      return "non-decreasing";
    case Monotonicity::not_monotonic:
      return "not monotonic";
  }
  return "?";
}

bool Properties::zero_centred() const {
  return std::fabs(normal.mean) <= 0.05 * normal.stddev;
}

Properties measure_properties(const Activation& a, const PropertyOptions& options) {
  if (!(options.grid_limit >= 10 && std::isfinite(options.grid_limit))) {
    throw std::invalid_argument(fmt::format(
        "measure_properties: grid_limit must be finite and >= 10, got {}", options.grid_limit));
  }
  if (options.normal_samples == 0) {
    throw std::invalid_argument("measure_properties: normal_samples must be >= 1");
  }
  const FunctionInfo& fi = info(a.fn());
  const auto f = [&a](double x) { return ref::forward<double>(a, x); };
  const auto gradient = [&a](double x) { return ref::backward<double>(a, x, 1.0); };

  Properties p{.activation = a, .formula = fi.formula, .derivative = fi.derivative};
  for (std::size_t i = 0; i < fi.params.size(); ++i)
    p.params.push_back({fi.params[i].name, a.param(i)});
  p.default_init = init_name(fi.default_init);

  const auto grid = probe_grid(options.grid_limit);
  std::vector<double> y(grid.size()), negated_y(grid.size());
  for (std::size_t i = 0; i < grid.size(); ++i) {
    y[i] = f(grid[i]);
    negated_y[i] = -y[i];
  }
  std::vector<double> jumps = find_jumps(f, grid);
  for (double x : find_jumps(gradient, grid)) jumps.push_back(x);

  const double left_limit = limit_at(f, -kInf), right_limit = limit_at(f, kInf);
  p.range.lower = lower_end(grid, y, {left_limit, right_limit}, jumps);
  const RangeBound upper = lower_end(grid, negated_y, {-left_limit, -right_limit}, jumps);
  p.range.upper = {-upper.value + 0.0, upper.closed};
  p.monotonicity = monotonicity_of(grid, y, jumps);

  std::vector<double> xs = jumps;
  xs.push_back(0.0);
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  for (double x : xs) {
    p.points.push_back(measure_point(a, f, x + 0.0));
    p.continuous = p.continuous && p.points.back().continuous;
    p.derivative_continuous = p.derivative_continuous && p.points.back().differentiable;
  }

  p.saturates_left = saturates(f, -options.grid_limit);
  p.saturates_right = saturates(f, options.grid_limit);
  p.normal = normal_input_stats(a, options.normal_samples);
  if (options.cost) p.cost = options.cost(a);
  return p;
}

}  // namespace rectify
