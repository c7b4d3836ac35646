// Line charts as standalone SVG: the plots of `rectify plot` and of the lab's reports. No
// dependency beyond the standard library and fmt; the output is deterministic (same chart, same
// bytes), valid XML, and uses no ids, scripts or external references, so several charts can be
// inlined in one HTML page.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rectify::lab {

struct Series {
  std::string name;          // legend text
  std::vector<double> x, y;  // same length; non-finite y values leave a gap in the line
  bool dashed = false;
  // Colour and dash pattern by this number instead of the series' position (-1), so that one
  // thing (the lab: one function) looks the same in every chart: 8 colours, then each again
  // dotted and dash-dotted (readable printed in grey).
  int style = -1;
  // A band from low to high around the line (the spread over seeds), drawn faintly in the
  // series' colour; empty for none, else as long as x. Points where either is not finite are
  // left out of the band.
  std::vector<double> low, high;
};

struct Chart {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  std::optional<double> y_min, y_max;  // default: from the data, padded, nice tick numbers
  bool log_y = false;                  // log10 axis (non-positive values are gaps)
  int width = 640, height = 400;
};

// A complete SVG document (<svg xmlns=...> ... </svg>): axes with 1-2-5 ticks, title, legend,
// one <path class="series" data-name="..."> per series with its points in data order. A chart
// without series or without a finite point draws the axes and "no data".
// Throws std::invalid_argument when a series' x and y (or a band's low and high) differ in
// length, when y_min >= y_max
// (or either is not finite, or not positive on a log axis), or when the size is outside
// [160, 20000] x [120, 20000] pixels.
std::string render_svg(const Chart& chart);

// Text made safe for XML (and HTML) content and attribute values; bytes that are not valid UTF-8
// and control characters XML forbids become '?'.
std::string escape_xml(std::string_view s);

}  // namespace rectify::lab
