#include "rectify/lab/report_writer.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace rectify::lab {
namespace {

std::string markdown_cell(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

// Text as HTML: escaped, and Markdown's `code` spans as <code> (an unpaired backtick stays).
std::string inline_html(const std::string& text) {
  const std::string escaped = escape_xml(text);
  std::string out;
  std::size_t at = 0;
  while (at < escaped.size()) {
    const auto open = escaped.find('`', at);
    const auto close = open == std::string::npos ? open : escaped.find('`', open + 1);
    if (close == std::string::npos) {
      out += escaped.substr(at);
      break;
    }
    out += escaped.substr(at, open - at) + "<code>" + escaped.substr(open + 1, close - open - 1) +
           "</code>";
    at = close + 1;
  }
  return out;
}

// Figures are right-aligned, prose left: a cell is a figure when it starts like a number and has
// few letters ("80.2% [68.2%, 80.4%]", "+0.614", "0.0% dead, 68.6% zero", "000, 002"), not a
// formula ("1 / (1 + exp(-x))") or a name that starts with a digit ("2 Conv layers ...").
bool is_figure(const std::string& cell) {
  if (cell.empty() || cell.size() > 40 || cell.find('/') != std::string::npos) return false;
  const char c = cell[0];
  if (!((c >= '0' && c <= '9') || c == '+' || c == '-')) return false;
  const auto letters = std::count_if(cell.begin(), cell.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
  });
  return letters <= 16;
}

// The verdicts, marked by colour and by a sign that survives printing in grey.
std::string cell_html(const std::string& cell) {
  if (cell == "supported") return "<td class=\"verdict yes\">&#x2714; supported</td>";
  if (cell == "not supported") return "<td class=\"verdict no\">&#x2718; not supported</td>";
  if (cell == "mixed") return "<td class=\"verdict mixed\">~ mixed</td>";
  return fmt::format("<td{}>{}</td>", is_figure(cell) ? " class=\"num\"" : "", inline_html(cell));
}

}  // namespace

ReportWriter::ReportWriter(std::string title) : title_(std::move(title)) {
  md_ = fmt::format("# {}\n\n", title_);
  body_ = fmt::format("<h1>{}</h1>\n", escape_xml(title_));
}

void ReportWriter::heading(int level, const std::string& text) {
  md_ += fmt::format("{} {}\n\n", std::string(static_cast<std::size_t>(level), '#'), text);
  body_ += fmt::format("<h{0}>{1}</h{0}>\n", level, inline_html(text));
}

void ReportWriter::paragraph(const std::string& text) {
  md_ += fmt::format("{}\n\n", text);
  body_ += fmt::format("<p>{}</p>\n", inline_html(text));
}

void ReportWriter::table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  md_ += "|";
  body_ += "<table>\n<tr>";
  for (const auto& h : header) {
    md_ += fmt::format(" {} |", markdown_cell(h));
    body_ += fmt::format("<th>{}</th>", inline_html(h));
  }
  md_ += "\n|";
  body_ += "</tr>\n";
  for (std::size_t i = 0; i < header.size(); ++i) md_ += " --- |";
  md_ += "\n";
  for (const auto& row : rows) {
    md_ += "|";
    body_ += "<tr>";
    for (const auto& cell : row) {
      md_ += fmt::format(" {} |", markdown_cell(cell));
      body_ += cell_html(cell);
    }
    md_ += "\n";
    body_ += "</tr>\n";
  }
  md_ += "\n";
  body_ += "</table>\n";
}

void ReportWriter::chart(const Chart& chart, const std::string& stem) {
  const std::string svg = render_svg(chart);
  charts_.emplace_back(stem, svg);
  md_ += fmt::format("![{}](charts/{}.svg)\n\n", chart.title, stem);
  body_ += fmt::format("<figure>\n{}\n</figure>\n", svg);
}

void ReportWriter::small_multiples(const std::vector<Chart>& panels, const std::string& stem,
                                   const std::string& caption) {
  md_ += fmt::format("{}\n\n", caption);
  body_ += fmt::format("<figure>\n<figcaption>{}</figcaption>\n<div class=\"multiples\">\n",
                       inline_html(caption));
  for (std::size_t i = 0; i < panels.size(); ++i) {
    const std::string name = fmt::format("{}-{}", stem, i + 1), svg = render_svg(panels[i]);
    charts_.emplace_back(name, svg);
    md_ += fmt::format("![{}](charts/{}.svg) ", panels[i].title, name);
    body_ += svg + "\n";
  }
  md_ += "\n\n";
  body_ += "</div>\n</figure>\n";
}

std::string ReportWriter::html() const {
  constexpr const char* kStyle =
      "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
      "color:#222}\n"
      "table{border-collapse:collapse;margin:1em 0;font-size:0.9em;display:block;"
      "overflow-x:auto}\n"
      "th,td{border:1px solid #ccc;padding:0.25em 0.6em;text-align:left;vertical-align:top}\n"
      "td.num{text-align:right;white-space:nowrap}\n"
      "td.verdict{font-weight:bold;white-space:nowrap}\n"
      "td.yes{background:#dff0d8}td.no{background:#f2dede}td.mixed{background:#fcf8e3}\n"
      "code{font-family:ui-monospace,monospace;background:#f4f4f4;padding:0 0.2em}\n"
      "figure{margin:1em 0}\n"
      "figcaption{font-weight:bold;margin-bottom:0.5em}\n"
      ".multiples{display:flex;flex-wrap:wrap;gap:4px}\n";
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>{}</title>\n<style>\n{}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
      escape_xml(title_), kStyle, body_);
}

}  // namespace rectify::lab
