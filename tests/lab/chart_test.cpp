// The SVG chart writer: one path per series, named and in data order; escaping; gaps; the
// awkward ranges (one point, flat, huge, tiny, log); errors; byte-identical output.
#include "rectify/lab/chart.hpp"
#include "rectify/lab/report_writer.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace rectify::lab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<double> iota(int n, double start = 0) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(start + i);
  return v;
}

// Every <path class="series" ...> element, as text. (Plain scanning: std::regex trips GCC 12's
// -Wmaybe-uninitialized in the sanitizer build.)
std::vector<std::string> series_paths(const std::string& svg) {
  std::vector<std::string> out;
  const std::string open = "<path class=\"series\"";
  for (auto p = svg.find(open); p != std::string::npos; p = svg.find(open, p + 1)) {
    const auto end = svg.find("/>", p);
    if (end == std::string::npos) break;
    out.push_back(svg.substr(p, end + 2 - p));
  }
  return out;
}

std::string attribute(const std::string& element, const std::string& name) {
  const std::string key = fmt::format(" {}=\"", name);
  const auto p = element.find(key);
  if (p == std::string::npos) return "<absent>";
  const auto begin = p + key.size(), end = element.find('"', begin);
  return end == std::string::npos ? "<absent>" : element.substr(begin, end - begin);
}

struct PathData {
  int subpaths = 0;
  std::vector<double> xs, ys;
};

// "M1.00,2.00L3.00,4.00..." as points.
PathData parse_path(const std::string& d) {
  PathData p;
  std::size_t i = 0;
  while (i < d.size()) {
    const char command = d[i];
    if (command != 'M' && command != 'L') {
      ++i;
      continue;
    }
    std::size_t used = 0;
    const double x = std::stod(d.substr(i + 1), &used);
    const std::size_t comma = i + 1 + used;
    if (comma >= d.size() || d[comma] != ',') break;
    const double y = std::stod(d.substr(comma + 1), &used);
    if (command == 'M') ++p.subpaths;
    p.xs.push_back(x);
    p.ys.push_back(y);
    i = comma + 1 + used;
  }
  return p;
}

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1)) ++n;
  return n;
}

Chart two_series() {
  Chart c;
  c.title = "Loss";
  c.x_label = "epoch";
  c.y_label = "loss";
  c.series.push_back({"train", iota(5, 1), {2.0, 1.0, 0.7, 0.5, 0.4}});
  c.series.push_back({"test", iota(5, 1), {2.1, 1.2, 0.9, 0.8, 0.8}, true});
  return c;
}

TEST(Chart, IsAStandaloneSvgWithOnePathPerSeries) {
  const auto svg = render_svg(two_series());
  EXPECT_EQ(svg.rfind(R"(<svg xmlns="http://www.w3.org/2000/svg")", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("href"), std::string::npos);
  EXPECT_EQ(svg.find(" id="), std::string::npos);  // ids would clash between inlined charts
  const auto paths = series_paths(svg);
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(attribute(paths[0], "data-name"), "train");
  EXPECT_EQ(attribute(paths[1], "data-name"), "test");
  EXPECT_EQ(attribute(paths[0], "stroke-dasharray"), "<absent>");
  EXPECT_NE(attribute(paths[1], "stroke-dasharray"), "<absent>");
  EXPECT_NE(attribute(paths[0], "stroke"), attribute(paths[1], "stroke"));
  EXPECT_NE(svg.find(">Loss</text>"), std::string::npos);
  EXPECT_NE(svg.find(">epoch</text>"), std::string::npos);
  EXPECT_EQ(count(svg, ">train</text>"), 1);  // the legend
}

TEST(Chart, PointsAreInDataOrder) {
  Chart c;
  c.series.push_back({"zigzag", {0, 1, 2, 3}, {0, 3, 1, 2}});
  const auto d = parse_path(attribute(series_paths(render_svg(c))[0], "d"));
  ASSERT_EQ(d.xs.size(), 4u);
  EXPECT_EQ(d.subpaths, 1);
  for (int i = 1; i < 4; ++i) EXPECT_GT(d.xs[i], d.xs[i - 1]);
  // SVG's y grows downwards: y = 0 lowest, then 3 highest, 1, 2.
  EXPECT_GT(d.ys[0], d.ys[2]);
  EXPECT_GT(d.ys[2], d.ys[3]);
  EXPECT_GT(d.ys[3], d.ys[1]);
}

TEST(Chart, EscapesEveryText) {
  Chart c;
  c.title = R"(a<b & "c" 'd'>)";
  c.x_label = "x & y";
  c.y_label = "<y>";
  c.series.push_back({R"(f<"&'>)", {0, 1}, {0, 1}});
  const auto svg = render_svg(c);
  EXPECT_NE(svg.find("a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"), std::string::npos);
  EXPECT_NE(svg.find("x &amp; y"), std::string::npos);
  EXPECT_NE(svg.find("&lt;y&gt;"), std::string::npos);
  EXPECT_NE(svg.find(R"(data-name="f&lt;&quot;&amp;&apos;&gt;")"), std::string::npos);
  EXPECT_EQ(svg.find("a<b"), std::string::npos);
  EXPECT_EQ(svg.find("f<"), std::string::npos);
}

TEST(Chart, ReplacesWhatXmlCannotHold) {
  Chart c;
  c.title = std::string("bell\x07 bad\xff utf8 \xc3\xa9t\xc3\xa9");
  c.series.push_back({"ok", {0}, {0}});
  const auto svg = render_svg(c);
  EXPECT_NE(svg.find("bell? bad? utf8 \xc3\xa9t\xc3\xa9"), std::string::npos);
}

TEST(Chart, NonFiniteValuesLeaveGaps) {
  Chart c;
  c.series.push_back({"gappy", iota(7), {1, 2, kNaN, 3, 4, kInf, 5}});
  const auto d = parse_path(attribute(series_paths(render_svg(c))[0], "d"));
  EXPECT_EQ(d.subpaths, 3);    // 1,2 | 3,4 | 5
  EXPECT_EQ(d.xs.size(), 5u);  // the lone 5: a move alone in the path, and a dot beside it
  EXPECT_EQ(count(render_svg(c), "<circle class=\"point\""), 1);
}

TEST(Chart, LogAxisDropsNonPositiveValues) {
  Chart c;
  c.log_y = true;
  c.series.push_back({"loss", iota(5), {1, 0.1, 0, -1, 0.001}});
  const auto svg = render_svg(c);
  const auto d = parse_path(attribute(series_paths(svg)[0], "d"));
  EXPECT_EQ(d.xs.size(), 3u);
  EXPECT_NE(svg.find(">0.001</text>"), std::string::npos);
  EXPECT_NE(svg.find(">1</text>"), std::string::npos);
}

TEST(Chart, SinglePointAndFlatLinesGetAnAxisSpan) {
  Chart one;
  one.series.push_back({"one", {3}, {7}});
  const auto svg = render_svg(one);
  EXPECT_EQ(parse_path(attribute(series_paths(svg)[0], "d")).xs.size(), 1u);
  EXPECT_EQ(count(svg, "<circle class=\"point\""), 1);

  Chart flat;
  flat.series.push_back({"zero", iota(4), {0, 0, 0, 0}});
  const auto d = parse_path(attribute(series_paths(render_svg(flat))[0], "d"));
  ASSERT_EQ(d.ys.size(), 4u);
  EXPECT_EQ(d.ys[0], d.ys[3]);
  EXPECT_NE(render_svg(flat).find(">0</text>"), std::string::npos);
}

TEST(Chart, NiceTicksAcrossZeroAndAtExtremeMagnitudes) {
  Chart c;
  c.series.push_back({"f", {-4, 4}, {-1, 1}});
  auto svg = render_svg(c);
  for (const char* label : {">-4</text>", ">-2</text>", ">0</text>", ">2</text>", ">4</text>"}) {
    EXPECT_NE(svg.find(label), std::string::npos) << label;
  }
  EXPECT_EQ(svg.find(">-0</text>"), std::string::npos);

  c.series[0].y = {0.1, 0.3};
  svg = render_svg(c);
  EXPECT_NE(svg.find(">0.3</text>"), std::string::npos);
  EXPECT_EQ(svg.find("0.30000"), std::string::npos);

  c.series[0].y = {1e300, 5e300};
  svg = render_svg(c);
  EXPECT_NE(svg.find(">2e+300</text>"), std::string::npos);
  c.series[0].y = {-1e-300, 3e-300};
  svg = render_svg(c);
  EXPECT_NE(svg.find(">1e-300</text>"), std::string::npos);
  constexpr double kMax = std::numeric_limits<double>::max();
  c.series[0].y = {-kMax, kMax};
  EXPECT_EQ(series_paths(render_svg(c)).size(), 1u);
  Chart wide;  // a span beyond DBL_MAX still spreads the points over the axis
  wide.series.push_back({"wide", {-kMax, 0, kMax}, {-kMax, 0, kMax}});
  const auto d = parse_path(attribute(series_paths(render_svg(wide))[0], "d"));
  ASSERT_EQ(d.xs.size(), 3u);
  EXPECT_LT(d.xs[0], d.xs[1]);
  EXPECT_LT(d.xs[1], d.xs[2]);
  EXPECT_GT(d.ys[0], d.ys[1]);
  EXPECT_GT(d.ys[1], d.ys[2]);
  c.series[0].y = {1e6, 1e6 + 1};  // small span at a large magnitude: labels stay distinct
  svg = render_svg(c);
  EXPECT_NE(svg.find(">1000000.2</text>"), std::string::npos);
  c.series[0].y = {5e-324, 1e-323};  // denormals: no step, the two ends
  EXPECT_EQ(series_paths(render_svg(c)).size(), 1u);
}

TEST(Chart, ExplicitBoundsClipTheLine) {
  Chart c;
  c.y_min = 0;
  c.y_max = 1;
  c.series.push_back({"steep", {0, 1, 2}, {0, 10, 0}});
  const auto d = parse_path(attribute(series_paths(render_svg(c))[0], "d"));
  EXPECT_EQ(d.subpaths, 2);  // up and out at the top, back in on the way down
  for (double y : d.ys) EXPECT_GE(y, 0);
}

TEST(Chart, EmptyChartHasAxesAndSaysNoData) {
  Chart c;
  c.title = "nothing";
  auto svg = render_svg(c);
  EXPECT_TRUE(series_paths(svg).empty());
  EXPECT_NE(svg.find(">no data</text>"), std::string::npos);
  c.series.push_back({"all nan", {0, 1}, {kNaN, kNaN}});
  svg = render_svg(c);
  EXPECT_EQ(attribute(series_paths(svg)[0], "d"), "");
  EXPECT_NE(svg.find(">no data</text>"), std::string::npos);
}

TEST(Chart, RejectsBadInput) {
  Chart c;
  c.series.push_back({"bad", {0, 1, 2}, {0, 1}});
  EXPECT_THROW(render_svg(c), std::invalid_argument);
  c.series[0].y.push_back(2);
  EXPECT_NO_THROW(render_svg(c));
  c.y_min = 1;
  c.y_max = 1;
  EXPECT_THROW(render_svg(c), std::invalid_argument);
  c.y_min = 0;
  c.log_y = true;
  EXPECT_THROW(render_svg(c), std::invalid_argument);
  c.y_min.reset();
  c.log_y = false;
  c.width = 10;
  EXPECT_THROW(render_svg(c), std::invalid_argument);
}

TEST(Chart, SameInputSameBytes) {
  auto c = two_series();
  c.series.push_back({"third", {0, 0.5, 1}, {kNaN, 1e-3, 7}});
  EXPECT_EQ(render_svg(c), render_svg(c));
  const auto copy = c;
  EXPECT_EQ(render_svg(copy), render_svg(c));
}

TEST(Chart, ManySeriesGetDistinctStyles) {
  Chart c;
  for (int i = 0; i < 9; ++i) c.series.push_back({fmt::format("s{}", i), {0, 1}, {0, 1.0 * i}});
  const auto paths = series_paths(render_svg(c));
  ASSERT_EQ(paths.size(), 9u);
  EXPECT_EQ(attribute(paths[8], "stroke"), attribute(paths[0], "stroke"));
  EXPECT_NE(attribute(paths[8], "stroke-dasharray"), attribute(paths[0], "stroke-dasharray"));
}

}  // namespace
}  // namespace rectify::lab

namespace rectify::lab {
namespace {

TEST(Chart, BandsAreDrawnUnderTheLineAndWidenTheAxis) {
  Chart c{.title = "t"};
  c.series.push_back({.name = "a", .x = {1, 2, 3}, .y = {0.5, 0.6, 0.7}});
  c.series[0].low = {0.4, NAN, 0.65};
  c.series[0].high = {0.9, 0.7, 0.75};
  const std::string svg = render_svg(c);
  const auto band = svg.find("<path class=\"band\" data-name=\"a\"");
  ASSERT_NE(band, std::string::npos) << svg;
  EXPECT_LT(band, svg.find("<path class=\"series\""));  // under the line
  const std::string d = svg.substr(band, svg.find("/>", band) - band);
  EXPECT_EQ(std::count(d.begin(), d.end(), 'L'), 3) << d;  // 2 points up, 2 down: the NaN is out
  EXPECT_NE(svg.find(">0.9<"), std::string::npos) << "the axis reaches the band's top";
  c.series[0].high.pop_back();
  EXPECT_THROW(render_svg(c), std::invalid_argument);
}

TEST(ReportWriter, HtmlRendersCodeAlignsFiguresRightAndMarksVerdicts) {
  ReportWriter w("t");
  w.paragraph("Run `rectify lab --quick` <now> & `x` then ` alone");
  w.table({"claim", "verdict", "figure"}, {{"ReLU is `cheap`", "supported", "80.2% [68.2%, 80.4%]"},
                                           {"b", "not supported", "-0.5"},
                                           {"c", "mixed", "never"}});
  const std::string html = w.html(), md = w.markdown();
  EXPECT_NE(html.find("Run <code>rectify lab --quick</code> &lt;now&gt; &amp; <code>x</code> "
                      "then ` alone"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<td>ReLU is <code>cheap</code></td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">80.2% [68.2%, 80.4%]</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">-0.5</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>never</td>"), std::string::npos);  // prose: left-aligned
  EXPECT_NE(html.find("class=\"verdict yes\">&#x2714; supported"), std::string::npos);
  EXPECT_NE(html.find("class=\"verdict no\">&#x2718; not supported"), std::string::npos);
  EXPECT_NE(html.find("class=\"verdict mixed\">~ mixed"), std::string::npos);
  // The Markdown keeps its own syntax.
  EXPECT_NE(md.find("Run `rectify lab --quick` <now>"), std::string::npos);
  EXPECT_NE(md.find("| ReLU is `cheap` | supported |"), std::string::npos);
}

}  // namespace
}  // namespace rectify::lab
