#include "rectify/lab/report_writer.hpp"

#include <fmt/format.h>

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

}  // namespace

ReportWriter::ReportWriter(std::string title) : title_(std::move(title)) {
  md_ = fmt::format("# {}\n\n", title_);
  body_ = fmt::format("<h1>{}</h1>\n", escape_xml(title_));
}

void ReportWriter::heading(int level, const std::string& text) {
  md_ += fmt::format("{} {}\n\n", std::string(static_cast<std::size_t>(level), '#'), text);
  body_ += fmt::format("<h{0}>{1}</h{0}>\n", level, escape_xml(text));
}

void ReportWriter::paragraph(const std::string& text) {
  md_ += fmt::format("{}\n\n", text);
  body_ += fmt::format("<p>{}</p>\n", escape_xml(text));
}

void ReportWriter::table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  md_ += "|";
  body_ += "<table>\n<tr>";
  for (const auto& h : header) {
    md_ += fmt::format(" {} |", markdown_cell(h));
    body_ += fmt::format("<th>{}</th>", escape_xml(h));
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
      body_ += fmt::format("<td>{}</td>", escape_xml(cell));
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

std::string ReportWriter::html() const {
  constexpr const char* kStyle =
      "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
      "color:#222}\n"
      "table{border-collapse:collapse;margin:1em 0;font-size:0.9em}\n"
      "th,td{border:1px solid #ccc;padding:0.25em 0.6em;text-align:right}\n"
      "th:first-child,td:first-child{text-align:left}\n"
      "figure{margin:1em 0}\n";
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>{}</title>\n<style>\n{}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
      escape_xml(title_), kStyle, body_);
}

}  // namespace rectify::lab
