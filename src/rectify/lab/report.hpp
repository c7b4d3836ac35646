// The lab's report: report.md (charts as SVG files beside it, in charts/) and report.html
// (self-contained: the same charts inline, no script, no network), one section per study with
// its table and charts, and the seeds' claims with their verdicts up front.
#pragma once

#include <string>
#include <vector>

#include "rectify/lab/claims.hpp"
#include "rectify/lab/studies.hpp"

namespace rectify::lab {

struct ReportFiles {
  std::string markdown, html;  // paths written
  std::vector<std::string> charts;
};

// Writes into `dir` (created if missing). Each file is replaced all at once (io::AtomicFile), so
// an interrupted run never leaves a half-written report. std::runtime_error (io::FileError)
// naming the path when a file cannot be written.
ReportFiles write_report(const LabResults& results, const std::vector<Claim>& claims,
                         const std::string& dir, const std::string& command = "rectify lab");

}  // namespace rectify::lab
