// SVG line charts. Layout in pixels from a few fixed sizes; ticks at 1-2-5 steps (decades on a
// log axis); lines clipped to the plot area here rather than by an SVG clipPath, whose id would
// clash when several charts share one HTML page.
#include "rectify/lab/chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace rectify::lab {
namespace {

// Okabe & Ito's colour-blind-safe palette, ordered so that the first colours contrast most on
// white (yellow last). Past eight series the colours repeat with a dotted line.
constexpr std::array<std::string_view, 8> kPalette = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                                      "#E69F00", "#56B4E9", "#000000", "#F0E442"};
constexpr double kCharWidth = 7.0;  // a generous average for 12px sans-serif text
constexpr double kLegendRow = 18.0;
constexpr double kMaxDouble = std::numeric_limits<double>::max();

// ---- text ----------------------------------------------------------------------------------

// Length of the valid UTF-8 sequence at s[i] that encodes a character XML allows, or 0.
std::size_t xml_char_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return (b0 >= 0x20 || b0 == '\t' || b0 == '\n' || b0 == '\r') ? 1 : 0;
  const std::size_t n = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2;
  if (b0 < 0xC2 || b0 > 0xF4) return 0;  // a continuation byte, or a lead byte never valid
  char32_t cp = b0 & (0x7Fu >> n);
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0u) != 0x80u) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  const char32_t min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_length[n] || cp > 0x10FFFF) return 0;  // overlong or out of range
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) return 0;  // not XML
  return n;
}

}  // namespace

// Text made safe for XML content and attribute values. Bytes that are not valid UTF-8, and
// control characters XML forbids, become '?' so that the document always parses.
std::string escape_xml(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = xml_char_length(s, i);
    if (n == 0) {
      out += '?';
      ++i;
      continue;
    }
    switch (s[i]) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

namespace {

std::size_t char_count(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// At most max_chars characters (never cutting a UTF-8 sequence), with an ellipsis if cut.
std::string shorten(std::string_view s, std::size_t max_chars) {
  if (char_count(s) <= max_chars) return std::string(s);
  std::size_t kept = 0, end = 0;
  while (end < s.size() && kept + 1 < max_chars) {
    ++end;
    while (end < s.size() && (s[end] & 0xC0) == 0x80) ++end;
    ++kept;
  }
  std::string out(s.substr(0, end));
  out += "\u2026";
  return out;
}

// ---- axes ----------------------------------------------------------------------------------

struct Tick {
  double at;  // in axis units (log10 of the value on a log axis)
  std::string label;
};

struct Axis {
  double lo = 0, hi = 1;  // in axis units
  std::vector<Tick> ticks;

  // Position of v in [0, 1] over the axis, bounded so that pixel arithmetic stays finite.
  double fraction(double v) const {
    const double f = std::isfinite(hi - lo) ? (v - lo) / (hi - lo)
                                            : (v / 2 - lo / 2) / (hi / 2 - lo / 2);  // > DBL_MAX
    return std::isnan(f) ? 0 : std::clamp(f, -1e6, 1e6);
  }
};

double power_of_ten(int e) {
  return std::pow(10.0, e);
}

// k * m * 10^e computed so that decimal ticks come out as the nearest double (0.3, not
// 0.30000000000000004), and never as -0.
double tick_value(double km, int e) {
  return (e >= 0 ? km * power_of_ten(e) : km / power_of_ten(-e)) + 0.0;
}

std::vector<Tick> end_ticks(double lo, double hi) {
  return {{lo, fmt::format("{:g}", lo)}, {hi, fmt::format("{:g}", hi)}};
}

// Ticks at multiples of a 1-2-5 step inside [lo, hi]; falls back to the two ends where the
// span is too small for the magnitude (or too close to the limits of double) to step through.
std::vector<Tick> linear_ticks(double lo, double hi) {
  const double raw = hi / 5 - lo / 5;
  if (!(raw > 0) || !std::isfinite(raw)) return end_ticks(lo, hi);
  int e = static_cast<int>(std::floor(std::log10(raw)));
  const double f = raw / power_of_ten(e);
  double m = f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10;
  if (m == 10) {
    m = 1;
    ++e;
  }
  const double step = tick_value(m, e);
  std::vector<Tick> ticks;
  if (std::isnormal(step)) {
    const double k0 = std::ceil(lo / step - 1e-9), k1 = std::floor(hi / step + 1e-9);
    const double largest = std::max(std::fabs(lo), std::fabs(hi));
    const int digits = std::clamp(static_cast<int>(std::floor(std::log10(largest))) - e + 1, 6, 17);
    if (std::fabs(k0) < 1e15 && std::fabs(k1) < 1e15 && k1 - k0 <= 50) {
      for (double k = k0; k <= k1; ++k) {
        const double v = tick_value(k * m, e);
        ticks.push_back({v, fmt::format("{:.{}g}", v, digits)});
      }
    }
  }
  return ticks.size() < 2 ? end_ticks(lo, hi) : ticks;
}

std::string decade_label(int k) {
  if (k >= -4 && k <= 5) return fmt::format("{:g}", power_of_ten(k));
  return fmt::format("1e{:+03d}", k);
}

// Decades inside [lo, hi] (log10 units), thinned to at most about eight.
std::vector<Tick> log_ticks(double lo, double hi) {
  const double first = std::ceil(lo - 1e-9), last = std::floor(hi + 1e-9);
  const double stride = std::max(1.0, std::ceil((last - first) / 8));
  std::vector<Tick> ticks;
  for (double k = first; k <= last; k += stride) {
    ticks.push_back({k, decade_label(static_cast<int>(k))});
  }
  if (ticks.size() < 2) {  // less than a decade between explicit bounds: label the ends
    ticks = {{lo, fmt::format("{:g}", std::pow(10.0, lo))},
             {hi, fmt::format("{:g}", std::pow(10.0, hi))}};
  }
  return ticks;
}

struct Range {
  double lo, hi;
};

// Gives a one-valued range a span, then pads both sides by 5% (all kept within double).
Range widen(Range r, double pad_fraction) {
  if (r.lo == r.hi) {
    const double d = r.lo == 0 ? 1 : std::max(std::fabs(r.lo) * 0.1, 1e-300);
    r = {r.lo - d, r.hi + d};
  }
  const double pad = (r.hi * pad_fraction - r.lo * pad_fraction);
  r = {r.lo - pad, r.hi + pad};
  return {std::clamp(r.lo, -kMaxDouble, kMaxDouble), std::clamp(r.hi, -kMaxDouble, kMaxDouble)};
}

void check_bound(const std::optional<double>& v, bool log, const char* name) {
  if (!v) return;
  if (!std::isfinite(*v)) throw std::invalid_argument(fmt::format("chart: {} is not finite", name));
  if (log && *v <= 0) {
    throw std::invalid_argument(
        fmt::format("chart: {} = {} on a log axis (must be > 0)", name, *v));
  }
}

bool usable(double x, double y, bool log_y) {
  return std::isfinite(x) && std::isfinite(y) && (!log_y || y > 0);
}

struct Axes {
  Axis x, y;
  bool has_data = false;
};

Axes make_axes(const Chart& chart) {
  check_bound(chart.y_min, chart.log_y, "y_min");
  check_bound(chart.y_max, chart.log_y, "y_max");
  if (chart.y_min && chart.y_max && !(*chart.y_min < *chart.y_max)) {
    throw std::invalid_argument(
        fmt::format("chart: y_min ({}) must be below y_max ({})", *chart.y_min, *chart.y_max));
  }
  const auto to_axis = [&](double y) { return chart.log_y ? std::log10(y) : y; };
  Range xs{kMaxDouble, -kMaxDouble}, ys{kMaxDouble, -kMaxDouble};
  Axes axes;
  for (const auto& s : chart.series) {
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      for (const double y :
           {s.y[i], s.low.empty() ? s.y[i] : s.low[i], s.high.empty() ? s.y[i] : s.high[i]}) {
        if (!usable(s.x[i], y, chart.log_y)) continue;
        axes.has_data = true;
        xs = {std::min(xs.lo, s.x[i]), std::max(xs.hi, s.x[i])};
        ys = {std::min(ys.lo, to_axis(y)), std::max(ys.hi, to_axis(y))};
      }
    }
  }
  if (!axes.has_data) {
    xs = {0, 1};
    ys = {0, 1};
  }
  xs = widen(xs, 0);
  if (chart.log_y) {
    // Whole decades around the data, one more on each side for a single decade value.
    ys = {std::floor(ys.lo), std::ceil(ys.hi)};
    if (ys.lo == ys.hi) ys = {ys.lo - 1, ys.hi + 1};
  } else {
    ys = widen(ys, 0.05);
  }
  // Explicit bounds replace the data's; a side left to the data must stay on its side.
  if (chart.y_min) ys.lo = to_axis(*chart.y_min);
  if (chart.y_max) ys.hi = to_axis(*chart.y_max);
  if (!(ys.lo < ys.hi)) {
    const double d = std::max(std::fabs(chart.y_min ? ys.lo : ys.hi) * 0.1, 1.0);
    if (chart.y_min) {
      ys.hi = ys.lo + d;
    } else {
      ys.lo = ys.hi - d;
    }
  }
  axes.x = {xs.lo, xs.hi, linear_ticks(xs.lo, xs.hi)};
  axes.y = {ys.lo, ys.hi, chart.log_y ? log_ticks(ys.lo, ys.hi) : linear_ticks(ys.lo, ys.hi)};
  return axes;
}

// ---- geometry ------------------------------------------------------------------------------

struct Point {
  double x, y;
};

struct Box {
  double x0, y0, x1, y1;
  bool contains(Point p) const { return p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1; }
};

// The part of segment a-b inside the box (Liang-Barsky), as parameters t0 <= t1 along it.
std::optional<std::pair<double, double>> clip(Point a, Point b, const Box& box) {
  double t0 = 0, t1 = 1;
  const double dx = b.x - a.x, dy = b.y - a.y;
  const std::array<std::pair<double, double>, 4> edges = {
      {{-dx, a.x - box.x0}, {dx, box.x1 - a.x}, {-dy, a.y - box.y0}, {dy, box.y1 - a.y}}};
  for (const auto& [p, q] : edges) {
    if (p == 0) {
      if (q < 0) return std::nullopt;
      continue;
    }
    const double t = q / p;
    if (p < 0) {
      t0 = std::max(t0, t);
    } else {
      t1 = std::min(t1, t);
    }
    if (t0 > t1) return std::nullopt;
  }
  return std::pair{t0, t1};
}

std::string xy(Point p) {
  return fmt::format("{:.2f},{:.2f}", p.x, p.y);
}

// Path data for one series, in data order, broken at gaps and where the line leaves the plot.
// Points with no neighbour on the line are returned apart, to be drawn as dots.
struct Trace {
  std::string d;
  std::vector<Point> lone_points;
};

class TraceBuilder {
 public:
  void move_to(Point p) {
    end_subpath();
    d_ += 'M';
    d_ += xy(p);
    start_ = p;
    open_ = true;
  }
  void line_to(Point p) {
    d_ += 'L';
    d_ += xy(p);
    segments_++;
  }
  void end_subpath() {
    if (open_ && segments_ == 0) lone_.push_back(start_);
    open_ = false;
    segments_ = 0;
  }
  bool open() const { return open_; }
  Trace finish() {
    end_subpath();
    return {std::move(d_), std::move(lone_)};
  }

 private:
  std::string d_;
  std::vector<Point> lone_;
  Point start_{0, 0};
  bool open_ = false;
  int segments_ = 0;
};

Trace trace(const Series& s, bool log_y, const Axes& axes, const Box& plot) {
  TraceBuilder path;
  Point last{0, 0};
  bool has_last = false;  // the previous point was usable: a segment joins it to this one
  for (std::size_t i = 0; i < s.x.size(); ++i) {
    if (!usable(s.x[i], s.y[i], log_y)) {
      path.end_subpath();
      has_last = false;
      continue;
    }
    const double y = log_y ? std::log10(s.y[i]) : s.y[i];
    const Point p{plot.x0 + axes.x.fraction(s.x[i]) * (plot.x1 - plot.x0),
                  plot.y1 - axes.y.fraction(y) * (plot.y1 - plot.y0)};
    if (!has_last) {
      if (plot.contains(p)) path.move_to(p);
    } else if (const auto t = clip(last, p, plot)) {
      const auto at = [&](double u) {
        return Point{last.x + u * (p.x - last.x), last.y + u * (p.y - last.y)};
      };
      if (!path.open() || t->first > 0) path.move_to(at(t->first));
      path.line_to(t->second < 1 ? at(t->second) : p);
      if (t->second < 1) path.end_subpath();  // left the plot
    } else {
      path.end_subpath();
    }
    last = p;
    has_last = true;
  }
  return path.finish();
}

std::size_t style_of(const Series& s, std::size_t index) {
  return s.style >= 0 ? static_cast<std::size_t>(s.style) : index;
}

std::string_view colour_of(const Series& s, std::size_t index) {
  return kPalette[style_of(s, index) % kPalette.size()];
}

std::string stroke_dash(const Series& s, std::size_t index) {
  if (s.dashed) return R"( stroke-dasharray="7 4")";
  switch ((style_of(s, index) / kPalette.size()) % 3) {
    case 1:
      return R"( stroke-dasharray="2 3")";
    case 2:
      return R"( stroke-dasharray="9 3 2 3")";
    default:
      return "";
  }
}

std::size_t longest_label(const std::vector<Tick>& ticks) {
  std::size_t n = 0;
  for (const auto& t : ticks) n = std::max(n, t.label.size());
  return n;
}

}  // namespace

std::string render_svg(const Chart& chart) {
  if (chart.width < 160 || chart.width > 20000 || chart.height < 120 || chart.height > 20000) {
    throw std::invalid_argument(fmt::format("chart: size {}x{} outside [160, 20000] x [120, 20000]",
                                            chart.width, chart.height));
  }
  for (const auto& s : chart.series) {
    if (s.x.size() != s.y.size()) {
      throw std::invalid_argument(fmt::format("chart: series '{}' has {} x values and {} y values",
                                              s.name, s.x.size(), s.y.size()));
    }
    if (s.low.size() != s.high.size() || (!s.low.empty() && s.low.size() != s.x.size())) {
      throw std::invalid_argument(
          fmt::format("chart: series '{}' has a band of {} low and {} high values for {} points",
                      s.name, s.low.size(), s.high.size(), s.x.size()));
    }
  }
  const Axes axes = make_axes(chart);
  const double width = chart.width, height = chart.height;

  // Margins: the title above; tick labels and axis names left and below; the legend right.
  const double top = chart.title.empty() ? 14 : 38;
  const double bottom = chart.x_label.empty() ? 28 : 46;
  const double left =
      std::min(width * 0.3, (chart.y_label.empty() ? 10.0 : 30.0) +
                                kCharWidth * static_cast<double>(longest_label(axes.y.ticks)) + 8);
  std::size_t longest_name = 0;
  for (const auto& s : chart.series) longest_name = std::max(longest_name, char_count(s.name));
  const double legend_width =
      chart.series.empty()
          ? 0
          : std::min(width * 0.35, 44 + kCharWidth * static_cast<double>(longest_name));
  const Box plot{left, top, width - legend_width - 16, height - bottom};
  const double plot_w = plot.x1 - plot.x0, plot_h = plot.y1 - plot.y0;

  std::string svg = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" )"
      R"(font-family="sans-serif" font-size="12" role="img">)"
      "\n",
      chart.width, chart.height);
  svg +=
      fmt::format("<title>{}</title>\n", escape_xml(chart.title.empty() ? "chart" : chart.title));
  svg += fmt::format(R"(<rect width="{}" height="{}" fill="#ffffff"/>)"
                     "\n",
                     chart.width, chart.height);
  if (!chart.title.empty()) {
    svg += fmt::format(
        R"(<text x="{:.2f}" y="24" text-anchor="middle" font-size="15" font-weight="bold">{}</text>)"
        "\n",
        width / 2, escape_xml(chart.title));
  }

  // Grid, zero lines, frame, ticks and their labels.
  const auto px = [&](double v) { return plot.x0 + axes.x.fraction(v) * plot_w; };
  const auto py = [&](double v) { return plot.y1 - axes.y.fraction(v) * plot_h; };
  svg += R"(<g stroke="#e4e4e4" stroke-width="1">)";
  for (const auto& t : axes.x.ticks) {
    svg += fmt::format(R"(<line x1="{0:.2f}" y1="{1:.2f}" x2="{0:.2f}" y2="{2:.2f}"/>)", px(t.at),
                       plot.y0, plot.y1);
  }
  for (const auto& t : axes.y.ticks) {
    svg += fmt::format(R"(<line x1="{1:.2f}" y1="{0:.2f}" x2="{2:.2f}" y2="{0:.2f}"/>)", py(t.at),
                       plot.x0, plot.x1);
  }
  svg += "</g>\n";
  svg += R"(<g stroke="#9a9a9a" stroke-width="1">)";
  if (axes.x.lo < 0 && axes.x.hi > 0) {
    svg += fmt::format(R"(<line x1="{0:.2f}" y1="{1:.2f}" x2="{0:.2f}" y2="{2:.2f}"/>)", px(0),
                       plot.y0, plot.y1);
  }
  if (!chart.log_y && axes.y.lo < 0 && axes.y.hi > 0) {
    svg += fmt::format(R"(<line x1="{1:.2f}" y1="{0:.2f}" x2="{2:.2f}" y2="{0:.2f}"/>)", py(0),
                       plot.x0, plot.x1);
  }
  svg += "</g>\n";
  svg += fmt::format(
      R"(<rect x="{:.2f}" y="{:.2f}" width="{:.2f}" height="{:.2f}" fill="none" stroke="#333333"/>)"
      "\n",
      plot.x0, plot.y0, plot_w, plot_h);
  svg += R"(<g fill="#333333">)";
  for (const auto& t : axes.x.ticks) {
    svg += fmt::format(R"(<text x="{:.2f}" y="{:.2f}" text-anchor="middle">{}</text>)", px(t.at),
                       plot.y1 + 16, escape_xml(t.label));
  }
  for (const auto& t : axes.y.ticks) {
    svg += fmt::format(R"(<text x="{:.2f}" y="{:.2f}" text-anchor="end">{}</text>)", plot.x0 - 6,
                       py(t.at) + 4, escape_xml(t.label));
  }
  svg += "</g>\n";
  if (!chart.x_label.empty()) {
    svg += fmt::format(R"(<text x="{:.2f}" y="{:.2f}" text-anchor="middle">{}</text>)"
                       "\n",
                       plot.x0 + plot_w / 2, height - 10, escape_xml(chart.x_label));
  }
  if (!chart.y_label.empty()) {
    svg += fmt::format(
        R"svg(<text transform="translate(14 {:.2f}) rotate(-90)" text-anchor="middle">{}</text>)svg"
        "\n",
        plot.y0 + plot_h / 2, escape_xml(chart.y_label));
  }

  // Bands under every line: the points where both ends are usable, clamped to the plot.
  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    const auto& s = chart.series[i];
    std::vector<Point> upper, lower;
    const auto clamp_y = [&](double v) { return std::clamp(py(v), plot.y0, plot.y1); };
    for (std::size_t k = 0; k < s.low.size(); ++k) {
      if (!usable(s.x[k], s.low[k], chart.log_y) || !usable(s.x[k], s.high[k], chart.log_y)) {
        continue;
      }
      const double x = std::clamp(px(s.x[k]), plot.x0, plot.x1);
      const auto axis = [&](double v) { return chart.log_y ? std::log10(v) : v; };
      upper.push_back({x, clamp_y(axis(s.high[k]))});
      lower.push_back({x, clamp_y(axis(s.low[k]))});
    }
    if (upper.size() < 2) continue;
    std::string d = fmt::format("M{}", xy(upper.front()));
    for (std::size_t k = 1; k < upper.size(); ++k) d += fmt::format(" L{}", xy(upper[k]));
    for (std::size_t k = lower.size(); k-- > 0;) d += fmt::format(" L{}", xy(lower[k]));
    svg += fmt::format(
        R"(<path class="band" data-name="{}" d="{} Z" fill="{}" fill-opacity="0.15" stroke="none"/>)"
        "\n",
        escape_xml(s.name), d, colour_of(s, i));
  }

  // The series, in order, over the grid.
  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    const auto& s = chart.series[i];
    const auto colour = colour_of(s, i);
    const Trace t = trace(s, chart.log_y, axes, plot);
    svg += fmt::format(
        R"(<path class="series" data-name="{}" d="{}" fill="none" stroke="{}" stroke-width="2" )"
        R"(stroke-linejoin="round" stroke-linecap="round"{}/>)"
        "\n",
        escape_xml(s.name), t.d, colour, stroke_dash(s, i));
    for (const auto& p : t.lone_points) {
      svg += fmt::format(R"(<circle class="point" cx="{:.2f}" cy="{:.2f}" r="3" fill="{}"/>)"
                         "\n",
                         p.x, p.y, colour);
    }
  }
  if (!axes.has_data) {
    svg += fmt::format(
        R"(<text x="{:.2f}" y="{:.2f}" text-anchor="middle" fill="#666666">no data</text>)"
        "\n",
        plot.x0 + plot_w / 2, plot.y0 + plot_h / 2);
  }

  // Legend: a line sample and the name, as many rows as fit beside the plot.
  if (!chart.series.empty()) {
    const double lx = plot.x1 + 12;
    const auto rows = static_cast<std::size_t>(std::max(1.0, std::floor(plot_h / kLegendRow)));
    const std::size_t shown =
        chart.series.size() <= rows ? chart.series.size() : std::max<std::size_t>(rows, 2) - 1;
    const auto max_chars =
        static_cast<std::size_t>(std::max(4.0, std::floor((legend_width - 44) / kCharWidth)));
    svg += "<g>";
    for (std::size_t i = 0; i < shown; ++i) {
      const auto& s = chart.series[i];
      const double y = plot.y0 + 10 + kLegendRow * static_cast<double>(i);
      svg += fmt::format(
          R"(<line x1="{:.2f}" y1="{:.2f}" x2="{:.2f}" y2="{:.2f}" stroke="{}" stroke-width="2"{}/>)",
          lx, y, lx + 26, y, colour_of(s, i), stroke_dash(s, i));
      svg += fmt::format(R"(<text x="{:.2f}" y="{:.2f}">{}</text>)", lx + 32, y + 4,
                         escape_xml(shorten(s.name, max_chars)));
    }
    if (shown < chart.series.size()) {
      svg += fmt::format(R"(<text x="{:.2f}" y="{:.2f}" fill="#666666">+{} more</text>)", lx + 32,
                         plot.y0 + 14 + kLegendRow * static_cast<double>(shown),
                         chart.series.size() - shown);
    }
    svg += "</g>\n";
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace rectify::lab
