// rectify plot: curves of functions (or their derivatives) from the scalar reference, and the
// charts of training runs from `rectify train --json-log` files; SVG, or PNG through rsvg-convert.
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"
#include "rectify/act/activation.hpp"
#include "rectify/act/reference.hpp"
#include "rectify/io/atomic_file.hpp"
#include "rectify/lab/chart.hpp"
#include "rectify/train/metrics.hpp"

namespace rectify::cli {
namespace {

namespace fs = std::filesystem;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct PlotArgs {
  std::vector<std::string> specs, logs, charts;
  std::string range = "-5:5", out, format = "svg";
  bool derivative = false, both = false;
  int points = 801, width = 640, height = 400;
};

// A chart and the file stem it is written under in a directory (loss -> loss.svg).
struct NamedChart {
  std::string stem;
  lab::Chart chart;
};

// ---- function curves ------------------------------------------------------------------------

struct XRange {
  double lo, hi;
};

XRange parse_range(const std::string& text) {
  const auto fail = [&] {
    return std::invalid_argument(fmt::format(
        "--range '{}': expected MIN:MAX with finite numbers and MIN < MAX, e.g. -4:4", text));
  };
  const auto colon = text.find(':', 1);  // not the sign of MIN
  if (colon == std::string::npos) throw fail();
  XRange r{};
  const char* end = text.data() + text.size();
  const auto lo = std::from_chars(text.data(), text.data() + colon, r.lo);
  const auto hi = std::from_chars(text.data() + colon + 1, end, r.hi);
  if (lo.ec != std::errc() || lo.ptr != text.data() + colon || hi.ec != std::errc() ||
      hi.ptr != end || !std::isfinite(r.lo) || !std::isfinite(r.hi) || !(r.lo < r.hi)) {
    throw fail();
  }
  return r;
}

lab::Chart function_chart(const PlotArgs& a) {
  const XRange range = parse_range(a.range);
  const bool value = !a.derivative || a.both, slope = a.derivative || a.both;
  lab::Chart chart;
  chart.title = a.both ? "f(x) and f'(x)" : slope ? "f'(x)" : "f(x)";
  chart.x_label = "x";
  chart.y_label = a.both ? "f(x) (solid), f'(x) (dashed)" : chart.title;
  chart.width = a.width;
  chart.height = a.height;
  const auto n = static_cast<std::size_t>(a.points);
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) {  // both ends exact; no hi - lo, which may overflow
    const double t = static_cast<double>(i) / static_cast<double>(n - 1);
    x[i] = (1 - t) * range.lo + t * range.hi;
  }
  for (const auto& spec : a.specs) {
    const auto act = Activation::parse(spec);
    if (value) {
      lab::Series s{spec, x, std::vector<double>(n), false};
      for (std::size_t i = 0; i < n; ++i) s.y[i] = ref::forward(act, x[i]);
      chart.series.push_back(std::move(s));
    }
    if (slope) {
      lab::Series s{a.both ? spec + "'" : spec, x, std::vector<double>(n), a.both};
      for (std::size_t i = 0; i < n; ++i) s.y[i] = ref::backward(act, x[i], 1.0);  // dy = 1: f'
      chart.series.push_back(std::move(s));
    }
  }
  return chart;
}

// ---- training logs --------------------------------------------------------------------------

struct RunLog {
  std::string path, label;
  std::vector<train::EpochMetrics> epochs;
};

RunLog read_log(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  RunLog log{path, fs::path(path).stem().string(), {}};
  std::string text;
  for (std::size_t line = 1; std::getline(in, text); ++line) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      log.epochs.push_back(train::parse_metrics(text));
    } catch (const train::MetricsFormatError& e) {
      throw std::runtime_error(fmt::format("{}:{}: {}", path, line, e.what()));
    }
  }
  if (in.bad()) throw std::runtime_error(fmt::format("{}: read failed", path));
  if (log.epochs.empty()) throw std::runtime_error(fmt::format("{}: no epochs in the log", path));
  return log;
}

// Legend names: the metric alone for one run, prefixed with the run (its file name, or its path
// where two runs share a file name) for several.
void label_runs(std::vector<RunLog>& runs) {
  std::map<std::string, int> uses;
  for (const auto& r : runs) uses[r.label]++;
  for (auto& r : runs) {
    if (runs.size() == 1) {
      r.label.clear();
    } else if (uses[r.label] > 1) {
      r.label = r.path;
    }
  }
}

std::string series_name(const RunLog& run, const std::string& what) {
  return run.label.empty() ? what : run.label + " " + what;
}

lab::Chart epoch_chart(const PlotArgs& a, std::string title, std::string y_label) {
  lab::Chart c;
  c.title = std::move(title);
  c.x_label = "epoch";
  c.y_label = std::move(y_label);
  c.width = a.width;
  c.height = a.height;
  return c;
}

// Train solid, test dashed, for each run.
lab::Chart train_test_chart(const PlotArgs& a, const std::vector<RunLog>& runs, std::string title,
                            std::string y_label, double train::EpochMetrics::*train,
                            double train::EpochMetrics::*test) {
  auto c = epoch_chart(a, std::move(title), std::move(y_label));
  for (const auto& run : runs) {
    lab::Series tr{series_name(run, "train"), {}, {}, false};
    lab::Series te{series_name(run, "test"), {}, {}, true};
    for (const auto& e : run.epochs) {
      tr.x.push_back(static_cast<double>(e.epoch));
      tr.y.push_back(e.*train);
      te.x.push_back(static_cast<double>(e.epoch));
      te.y.push_back(e.*test);
    }
    c.series.push_back(std::move(tr));
    c.series.push_back(std::move(te));
  }
  return c;
}

// One series per run and layer; an epoch without that layer is a gap.
lab::Chart layer_chart(const PlotArgs& a, const std::vector<RunLog>& runs, std::string title,
                       std::string y_label, double (*field)(const diag::LayerStats&)) {
  auto c = epoch_chart(a, std::move(title), std::move(y_label));
  for (const auto& run : runs) {
    std::vector<std::string> names;  // in order of first appearance
    for (const auto& e : run.epochs) {
      for (const auto& l : e.layers) {
        if (std::find(names.begin(), names.end(), l.layer) == names.end()) names.push_back(l.layer);
      }
    }
    for (const auto& name : names) {
      lab::Series s{series_name(run, name), {}, {}, false};
      for (const auto& e : run.epochs) {
        double v = kNaN;
        for (const auto& l : e.layers) {
          if (l.layer == name) v = field(l);
        }
        s.x.push_back(static_cast<double>(e.epoch));
        s.y.push_back(v);
      }
      c.series.push_back(std::move(s));
    }
  }
  return c;
}

std::vector<NamedChart> log_charts(const PlotArgs& a) {
  std::vector<RunLog> runs;
  for (const auto& path : a.logs) runs.push_back(read_log(path));
  label_runs(runs);
  bool has_layers = false;
  for (const auto& r : runs) {
    for (const auto& e : r.epochs) has_layers = has_layers || !e.layers.empty();
  }
  const std::set<std::string> wanted(a.charts.begin(), a.charts.end());
  const auto want = [&](const char* name) { return wanted.empty() || wanted.count(name) > 0; };
  std::vector<NamedChart> charts;
  if (want("loss")) {
    charts.push_back(
        {"loss", train_test_chart(a, runs, "Loss", "loss", &train::EpochMetrics::train_loss,
                                  &train::EpochMetrics::test_loss)});
  }
  if (want("accuracy")) {
    charts.push_back({"accuracy", train_test_chart(a, runs, "Accuracy", "accuracy",
                                                   &train::EpochMetrics::train_acc,
                                                   &train::EpochMetrics::test_acc)});
  }
  if (!has_layers && (want("dead") || want("sparsity"))) {
    fmt::print(stderr,
               "rectify plot: no \"layers\" in the log(s) (written by an older rectify train?): "
               "skipping the dead-unit and sparsity charts\n");
  } else {
    if (want("dead")) {
      charts.push_back(
          {"dead", layer_chart(a, runs, "Dead units", "fraction of units dead",
                               [](const diag::LayerStats& l) { return l.dead_fraction(); })});
    }
    if (want("sparsity")) {
      charts.push_back(
          {"sparsity", layer_chart(a, runs, "Sparsity", "fraction of outputs = 0",
                                   [](const diag::LayerStats& l) { return l.sparsity; })});
    }
  }
  if (charts.empty()) throw std::runtime_error("no chart to draw from the log(s)");
  return charts;
}

// ---- output ---------------------------------------------------------------------------------

std::optional<fs::path> find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    const auto end = std::min(dirs.find(':', start), dirs.size());
    const fs::path candidate = fs::path(dirs.substr(start, end - start)) / name;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

fs::path rsvg_convert() {
  if (auto p = find_program("rsvg-convert")) return *p;
  throw std::runtime_error(
      "PNG output needs rsvg-convert, which is not on the PATH: install it (Debian: apt-get "
      "install librsvg2-bin) or write .svg");
}

// Exit status of `program args...`, run without a shell.
int run_program(const fs::path& program, std::vector<std::string> args) {
  args.insert(args.begin(), program.string());
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (const int err = ::posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv.data(), environ);
      err != 0) {
    throw std::runtime_error(
        fmt::format("cannot run {}: {}", program.string(), std::strerror(err)));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(fmt::format("waitpid: {}", std::strerror(errno)));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void write_svg(const fs::path& target, const std::string& svg) {
  io::write_file_atomically(target, svg, {.unique_temp = true});
}

// rsvg-convert reads the SVG from one temporary file and writes the PNG into another, which then
// replaces the target; the first is removed, never renamed.
void write_png(const fs::path& target, const std::string& svg, const fs::path& converter) {
  io::AtomicFile source(target, {.unique_temp = true});
  source.write(svg);
  source.close();
  io::AtomicFile png(target, {.unique_temp = true});
  png.close();
  const int status =
      run_program(converter, {"--format", "png", "--background-color", "white", "--output",
                              png.temp_path().string(), source.temp_path().string()});
  if (status != 0) {
    throw std::runtime_error(
        fmt::format("{}: rsvg-convert failed (exit status {})", target.string(), status));
  }
  if (fs::file_size(png.temp_path()) == 0) {
    throw std::runtime_error(fmt::format("{}: rsvg-convert wrote nothing", target.string()));
  }
  png.commit();
}

bool is_image_path(const fs::path& p) {
  const auto ext = p.extension().string();
  return ext == ".svg" || ext == ".png";
}

// Renders every chart first (so that a bad chart writes nothing), then writes each file.
void write_charts(const PlotArgs& a, const std::vector<NamedChart>& charts) {
  const fs::path out = a.out;
  std::vector<std::pair<fs::path, std::string>> files;
  if (is_image_path(out)) {
    if (charts.size() > 1) {
      throw std::runtime_error(
          fmt::format("--out {}: {} charts to write; give a directory, or pick one with --chart",
                      a.out, charts.size()));
    }
    files.emplace_back(out, lab::render_svg(charts[0].chart));
  } else {
    for (const auto& c : charts) {
      files.emplace_back(out / (c.stem + "." + a.format), lab::render_svg(c.chart));
    }
  }
  std::optional<fs::path> converter;
  for (const auto& [path, svg] : files) {
    if (path.extension() == ".png" && !converter) converter = rsvg_convert();
  }
  if (!is_image_path(out)) fs::create_directories(out);
  for (const auto& [path, svg] : files) {
    if (path.extension() == ".png") {
      write_png(path, svg, *converter);
    } else {
      write_svg(path, svg);
    }
    fmt::print("{}\n", path.string());
  }
}

}  // namespace

Action add_plot(CLI::App& app) {
  auto args = std::make_shared<PlotArgs>();
  auto* cmd = app.add_subcommand(
      "plot", "Plot functions and derivatives, or the charts of training logs (SVG or PNG)");
  cmd->add_option("specs", args->specs, "Function specs, e.g. relu leaky_relu:0.2 elu:alpha=0.5");
  cmd->add_flag("--derivative", args->derivative, "Plot f'(x) instead of f(x)");
  cmd->add_flag("--both", args->both, "Plot f(x) solid and f'(x) dashed");
  cmd->add_option("--range", args->range, "x range MIN:MAX")->capture_default_str();
  cmd->add_option("--points", args->points, "Points per curve")
      ->capture_default_str()
      ->check(CLI::Range(2, 1000000));
  cmd->add_option("--log", args->logs, "A JSON log of rectify train --json-log (repeatable)");
  cmd->add_option("--chart", args->charts, "With --log: only these charts (repeatable)")
      ->check(CLI::IsMember({"loss", "accuracy", "dead", "sparsity"}));
  cmd->add_option("--out", args->out,
                  "FILE.svg or FILE.png for one chart, else a directory for one file per chart")
      ->required();
  cmd->add_option("--format", args->format, "File type in an --out directory")
      ->capture_default_str()
      ->check(CLI::IsMember({"svg", "png"}));
  cmd->add_option("--width", args->width, "Width in pixels")
      ->capture_default_str()
      ->check(CLI::Range(160, 20000));
  cmd->add_option("--height", args->height, "Height in pixels")
      ->capture_default_str()
      ->check(CLI::Range(120, 20000));
  return [args] {
    const auto& a = *args;
    if (a.specs.empty() && a.logs.empty()) {
      throw std::invalid_argument(
          "plot: nothing to plot: give function specs (rectify plot relu elu) or --log FILE");
    }
    if (!a.specs.empty() && !a.logs.empty()) {
      throw std::invalid_argument("plot: function specs and --log go in separate plots");
    }
    if (!a.logs.empty()) {
      write_charts(a, log_charts(a));
    } else {
      write_charts(a, {{a.both         ? "functions"
                        : a.derivative ? "derivatives"
                                       : "functions",
                        function_chart(a)}});
    }
    return 0;
  };
}

}  // namespace rectify::cli
