// Writes one document as Markdown and as HTML at once: every heading, paragraph, table and chart
// goes to both, so the two reports cannot drift apart.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "rectify/lab/chart.hpp"

namespace rectify::lab {

class ReportWriter {
 public:
  explicit ReportWriter(std::string title);

  void heading(int level, const std::string& text);
  void paragraph(const std::string& text);
  void table(const std::vector<std::string>& header,
             const std::vector<std::vector<std::string>>& rows);
  // Markdown links charts/<stem>.svg; HTML inlines the SVG.
  void chart(const Chart& chart, const std::string& stem);
  // Small charts side by side, one per panel (files stem-1.svg, stem-2.svg, ...), under a
  // caption; give them one y range so that they compare.
  void small_multiples(const std::vector<Chart>& panels, const std::string& stem,
                       const std::string& caption);

  std::string markdown() const { return md_; }
  std::string html() const;
  // (file stem, SVG) of every chart, for the Markdown report's charts/ folder.
  const std::vector<std::pair<std::string, std::string>>& charts() const { return charts_; }

 private:
  std::string title_, md_, body_;
  std::vector<std::pair<std::string, std::string>> charts_;
};

}  // namespace rectify::lab
