#include "rectify/lab/report.hpp"

#include <fmt/format.h>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "rectify/act/properties.hpp"
#include "rectify/io/atomic_file.hpp"
#include "rectify/lab/jobs.hpp"
#include "rectify/lab/report_writer.hpp"
#include "rectify/lab/summary.hpp"

namespace rectify::lab {
namespace {

namespace fs = std::filesystem;

std::string pct(double x) {
  return std::isfinite(x) ? fmt::format("{:.1f}%", 100 * x) : "-";
}

std::string join(const std::vector<double>& values) {
  std::string s;
  for (const double v : values) s += (s.empty() ? "" : ", ") + fmt::format("{}", v);
  return s;
}

// Each function's chart style is its place in the registry: the same look in every chart.
int function_style(const std::string& spec) {
  return static_cast<int>(Activation::parse(spec).fn());
}

void header(ReportWriter& w, const LabResults& r, const std::string& command) {
  w.paragraph(fmt::format(
      "`{}`: {} plan on {} ({} training and {} test images); SIMD target {}, {} thread(s). "
      "Every training run uses the seeds' MLP (784-128-10) unless the section says otherwise, "
      "batch 64, constant learning rates (SGD with momentum 0.9, or Adam where a section says so), "
      "the same seeds for every function, "
      "and each function's default initializer. Times are at the end (Timing, Cost): they vary "
      "from run to run, everything before them does not.",
      command, r.plan.size, r.data_source, r.train_count, r.test_count, r.simd_target, r.threads));
  w.paragraph(
      "Dead unit: a hidden unit whose activation had zero derivative, f'(z) = 0, for every "
      "training example of an epoch (no gradient reaches its weights). Sparsity: the fraction "
      "of hidden outputs exactly 0. Both are counted inside the training passes, on the first "
      "hidden layer.");
}

void claims_section(ReportWriter& w, const std::vector<Claim>& claims) {
  w.heading(2, "The seeds' claims");
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : claims) {
    rows.push_back(
        {c.statement, std::string(verdict_name(c.verdict)), c.evidence, c.study, c.source});
  }
  w.table({"claim", "verdict", "evidence", "section", "seeds"}, rows);
  w.heading(3, "Statements of the seeds not judged here");
  std::vector<std::vector<std::string>> unjudged;
  for (const auto& u : unjudged_statements()) unjudged.push_back({u.statement, u.source, u.reason});
  w.table({"statement", "seeds", "why not"}, unjudged);
}

std::string spread_text(const Spread& s) {
  if (s.count == 0) return "-";
  return fmt::format("{} [{}, {}]", pct(s.median), pct(s.low), pct(s.high));
}

std::string setting_text(const RateSetting& s) {
  return fmt::format("{} {}", s.optimizer, s.lr);
}

void comparison_section(ReportWriter& w, const LabResults& r) {
  const auto s = summarize(r);
  w.heading(2, "Activation comparison");
  std::vector<std::string> settings;
  for (const auto& rate : r.plan.rates) settings.push_back(setting_text(rate));
  w.paragraph(fmt::format(
      "Every function trains the MLP for {} epochs at every setting of the sweep ({}; SGD with "
      "momentum 0.9, constant rates) with seeds {}, on the training images less the last {:.0f}%, "
      "which are held out for validation. A function's best rate for an optimizer is the one "
      "with the highest median validation accuracy (never chosen on the test set). Figures are "
      "medians over the seeds, with [lowest, highest]; a run that diverged counts as chance "
      "accuracy (10%). Epochs to target: the first epoch at which the median test accuracy "
      "reaches {} (98% of the median final accuracy at {}). The verdicts compare functions "
      "paired by seed (the same seed gives the same initial weights and batches).",
      r.plan.epochs, fmt::join(settings, ", "), fmt::join(r.plan.seeds, ", "),
      100 * r.plan.validation, pct(s.target), setting_text(s.shared_setting)));
  const auto row_of = [](const ActivationSummary& a, bool with_lr) {
    std::vector<std::string> row = {a.activation};
    if (with_lr) row.push_back(fmt::format("{}", a.setting.lr));
    for (auto& cell :
         {spread_text(a.final_acc), pct(a.first_acc),
          a.epochs_to_target ? fmt::format("{:.0f}", *a.epochs_to_target) : "never",
          pct(a.sparsity), pct(a.dead_fraction), fmt::format("{:+.3f}", a.mean_activation),
          a.diverged ? fmt::format("{} of {}", a.diverged, a.runs) : std::string()}) {
      row.push_back(cell);
    }
    return row;
  };
  const std::vector<std::string> columns = {"test accuracy", "after epoch 1", "epochs to target",
                                            "zero outputs",  "dead units",    "mean activation",
                                            "diverged"};
  for (const auto& optimizer : s.optimizers) {
    w.heading(3, fmt::format("Each function at its best rate: {}", optimizer));
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : r.plan.activations) {
      if (const auto* best = s.best(a, optimizer)) rows.push_back(row_of(*best, true));
    }
    std::vector<std::string> header = {"function", "best lr"};
    header.insert(header.end(), columns.begin(), columns.end());
    w.table(header, rows);
  }
  w.heading(3,
            fmt::format("Every function at the shared rate: {}", setting_text(s.shared_setting)));
  std::vector<std::vector<std::string>> shared_rows;
  for (const auto& a : r.plan.activations) {
    if (const auto* row = s.shared(a)) shared_rows.push_back(row_of(*row, false));
  }
  std::vector<std::string> header = {"function"};
  header.insert(header.end(), columns.begin(), columns.end());
  w.table(header, shared_rows);
  w.heading(3, "The sweep: median validation accuracy");
  std::vector<std::vector<std::string>> sweep_rows;
  for (const auto& a : r.plan.activations) {
    std::vector<std::string> row = {a};
    for (const auto& rate : r.plan.rates) {
      const auto* cell = s.find(a, rate);
      const bool best = cell && s.best(a, rate.optimizer) == cell;
      row.push_back(!cell ? "-" : pct(cell->val_acc.median) + (best ? " (best)" : ""));
    }
    sweep_rows.push_back(std::move(row));
  }
  std::vector<std::string> sweep_header = {"function"};
  sweep_header.insert(sweep_header.end(), settings.begin(), settings.end());
  w.table(sweep_header, sweep_rows);

  // Small multiples: one panel per function, test accuracy per epoch at its best rate for each
  // optimizer (solid: the first, dashed: the others), the band from the lowest to the highest
  // seed; one y range for all.
  std::vector<Chart> panels;
  double lo = 1, hi = 0;
  for (const auto& a : r.plan.activations) {
    Chart panel{.title = a, .x_label = "epoch", .width = 260, .height = 190};
    for (const auto& optimizer : s.optimizers) {
      const auto* best = s.best(a, optimizer);
      if (!best) continue;
      std::vector<std::vector<double>> per_epoch;
      for (const auto& run : r.comparison) {
        if (run.activation != a || run.optimizer != optimizer || run.lr != best->setting.lr) {
          continue;
        }
        for (std::size_t e = 0; e < run.epochs.size(); ++e) {
          if (per_epoch.size() <= e) per_epoch.resize(e + 1);
          per_epoch[e].push_back(run.epochs[e].test_acc);
        }
      }
      // One function per panel: its colour; the dash pattern tells the optimizers apart.
      Series line{.name = optimizer,
                  .dashed = optimizer != s.optimizers.front(),
                  .style = function_style(a) % 8};
      for (std::size_t e = 0; e < per_epoch.size(); ++e) {
        const auto sp = spread(per_epoch[e]);
        line.x.push_back(static_cast<double>(e + 1));
        line.y.push_back(sp.median);
        line.low.push_back(sp.low);
        line.high.push_back(sp.high);
        if (sp.count > 0) {
          lo = std::min(lo, sp.low);
          hi = std::max(hi, sp.high);
        }
      }
      panel.series.push_back(std::move(line));
    }
    panels.push_back(std::move(panel));
  }
  for (auto& p : panels) {
    if (lo < hi) {
      p.y_min = std::floor(lo * 50) / 50;
      p.y_max = std::ceil(hi * 50) / 50;
    }
  }
  w.small_multiples(panels, "comparison-accuracy",
                    "Test accuracy per epoch at each function's best rates: median over the "
                    "seeds, the band from the lowest to the highest");

  // Where the zeros come from: the hidden layer's pre-activations before and after training.
  std::vector<Chart> histograms;
  for (const auto& run : r.comparison) {
    if (run.histogram_start.size() != kHistogramBins) continue;
    Chart panel{.title = run.activation,
                .x_label = "z = W x + b",
                .y_min = 0.0,
                .width = 260,
                .height = 190};
    for (const auto* h : {&run.histogram_start, &run.histogram_end}) {
      if (h->size() != kHistogramBins) continue;
      Series line{.name = h == &run.histogram_start ? "before" : "after",
                  .dashed = h == &run.histogram_start,
                  .style = function_style(run.activation) % 8};
      for (std::size_t b = 0; b < kHistogramBins; ++b) {
        line.x.push_back(kHistogramLow + (static_cast<double>(b) + 0.5) * kHistogramWidth);
        line.y.push_back((*h)[b]);
      }
      panel.series.push_back(std::move(line));
    }
    histograms.push_back(std::move(panel));
  }
  if (!histograms.empty()) {
    w.small_multiples(
        histograms, "preactivations",
        fmt::format("The hidden layer's pre-activations z = W x + b over {} test images, before "
                    "(dashed) and after (solid) training ({} {}, seed {}), fraction per bin of {}; "
                    "relu and relu6 output 0 wherever z < 0",
                    std::min<std::size_t>(1000, r.test_count), s.shared_setting.optimizer,
                    s.shared_setting.lr, r.plan.seeds.front(), kHistogramWidth));
  }
}

std::string images_text(const LabPlan& p) {
  return p.model_images > 0 ? fmt::format("the first {} training images", p.model_images)
                            : std::string("every training image");
}

void anchor_section(ReportWriter& w, const LabResults& r) {
  const auto s = summarize(r);
  w.heading(2, "Published anchor");
  w.paragraph(
      "Whether the lab trains properly: its MLP beside published Fashion-MNIST test accuracies, "
      "from the benchmark table of the data set's authors (Xiao, Rasul and Vollgraf 2017, "
      "arXiv:1708.07747; github.com/zalandoresearch/fashion-mnist, \"Benchmark\": submitted "
      "results, not re-run by the authors). The published models are larger or train longer "
      "than the lab's 784-128-10 MLP for a few epochs: it should come within a few points of "
      "them, and above the human baseline.");
  std::vector<std::vector<std::string>> rows;
  const bool full = r.train_count == 60000 && r.test_count == 10000;
  const std::size_t trained = r.train_count - validation_images(r.plan.validation, r.train_count);
  for (const auto& optimizer : s.optimizers) {
    if (const auto* relu = s.best("relu", optimizer)) {
      rows.push_back(
          {fmt::format("this lab: MLP 784-128-10, relu, {} at lr {}, {} epochs on "
                       "{} images (median over {} seeds)",
                       optimizer, relu->setting.lr, r.plan.epochs, trained, relu->final_acc.count),
           spread_text(relu->final_acc),
           full ? "this report" : "this report (not the full data set: not comparable)"});
    }
  }
  std::vector<double> cnn;
  for (const auto& run : r.cnn) {
    if (run.activation == "relu") {
      cnn.push_back(final_test_accuracy(run));
    }
  }
  if (!cnn.empty()) {
    rows.push_back({fmt::format("this lab: the seeds' CNN (2 conv + pooling), relu, {} epoch(s) "
                                "on {} (median over {} seeds)",
                                r.plan.model_epochs, images_text(r.plan), cnn.size()),
                    spread_text(spread(cnn)),
                    full ? "this report" : "this report (not the full data set: not comparable)"});
  }
  rows.push_back({"MLP 256-128-64, no preprocessing (MXNet)", "90.0%",
                  "Fashion-MNIST benchmark table, submitted by @lianghong"});
  rows.push_back({"2 Conv layers with max pooling (Keras)", "87.6%",
                  "Fashion-MNIST benchmark table, submitted by Kashif Rasul"});
  rows.push_back({"Human, no fashion expertise (1000 test images, majority of 3 labels)", "83.5%",
                  "Fashion-MNIST benchmark table"});
  w.table({"model", "test accuracy", "source"}, rows);
}

void dying_section(ReportWriter& w, const LabResults& r) {
  w.heading(2, "Dying ReLU");
  w.paragraph(fmt::format(
      "Learning rates {} for {} epochs, then initial hidden biases {} at lr {}; dead units and "
      "zero outputs of the hidden layer in the last epoch.",
      join(r.plan.dying_lrs), r.plan.dying_epochs, join(r.plan.dying_biases),
      r.plan.dying_bias_lr));
  std::vector<std::string> header = {"function"};
  for (const double lr : r.plan.dying_lrs) header.push_back(fmt::format("lr {}", lr));
  for (const double b : r.plan.dying_biases) header.push_back(fmt::format("bias {}", b));
  std::vector<std::vector<std::string>> rows;
  auto cell = [](const DyingCell& c) {
    if (!c.present) return std::string("-");
    return fmt::format("{} dead, {} zero{}", pct(c.dead_fraction), pct(c.sparsity),
                       c.diverged ? " (diverged)" : "");
  };
  for (const auto& a : r.plan.dying_activations) {
    std::vector<std::string> row = {a};
    for (const double lr : r.plan.dying_lrs) row.push_back(cell(dying_cell(r.dying_lr, a, lr, {})));
    for (const double b : r.plan.dying_biases) {
      row.push_back(cell(dying_cell(r.dying_bias, a, {}, b)));
    }
    rows.push_back(row);
  }
  w.table(header, rows);
  Chart by_lr{.title = "Dead units in the last epoch against learning rate",
              .x_label = "learning rate (log10)",
              .y_label = "dead fraction",
              .y_min = 0.0};
  Chart by_bias{.title = "Dead units in the last epoch against initial bias",
                .x_label = "initial hidden bias",
                .y_label = "dead fraction",
                .y_min = 0.0};
  for (const auto& a : r.plan.dying_activations) {
    Series lr_series{.name = a, .style = function_style(a)};
    for (const double lr : r.plan.dying_lrs) {
      lr_series.x.push_back(std::log10(lr));
      lr_series.y.push_back(dying_cell(r.dying_lr, a, lr, {}, r.plan.dying_seeds).dead_fraction);
    }
    by_lr.series.push_back(std::move(lr_series));
    Series bias_series{.name = a, .style = function_style(a)};
    for (const double b : r.plan.dying_biases) {
      bias_series.x.push_back(b);
      bias_series.y.push_back(dying_cell(r.dying_bias, a, {}, b, r.plan.dying_seeds).dead_fraction);
    }
    by_bias.series.push_back(std::move(bias_series));
  }
  w.chart(by_lr, "dying-lr");
  w.chart(by_bias, "dying-bias");
}

void depth_section(ReportWriter& w, const LabResults& r) {
  w.heading(2, "Depth and vanishing gradients");
  w.paragraph(fmt::format(
      "A 10-layer MLP (784, nine hidden layers of 128, 10). The L2 norm of the loss gradient "
      "reaching each hidden layer's output: untrained (mean over {} batches) and over the "
      "training epoch(s) ({} at lr {}). Vanishing gradients show as norms shrinking towards "
      "the first layer.",
      r.plan.depth_probe_batches, r.plan.depth_epochs, r.plan.depth_lr));
  std::vector<std::string> header = {"function", "first / last (untrained)",
                                     "first / last (trained)", "test accuracy"};
  std::vector<std::vector<std::string>> rows;
  Chart init{.title = "Gradient norm per layer, untrained",
             .x_label = "hidden layer",
             .y_label = "|dL/dy|",
             .log_y = true};
  Chart trained{.title = "Gradient norm per layer, during training",
                .x_label = "hidden layer",
                .y_label = "|dL/dy|",
                .log_y = true};
  for (const auto& d : r.depth) {
    const auto& after =
        d.training.empty() ? std::vector<diag::LayerStats>{} : d.training.back().layers;
    rows.push_back({d.activation, fmt::format("{:.3g}", gradient_ratio(d.at_init)),
                    fmt::format("{:.3g}", gradient_ratio(after)),
                    d.training.empty() ? "diverged" : pct(d.training.back().test_acc)});
    Series a{.name = d.activation, .style = function_style(d.activation)};
    Series b = a;
    for (std::size_t l = 0; l < d.at_init.size(); ++l) {
      a.x.push_back(static_cast<double>(l + 1));
      a.y.push_back(d.at_init[l].grad_norm);
    }
    for (std::size_t l = 0; l < after.size(); ++l) {
      b.x.push_back(static_cast<double>(l + 1));
      b.y.push_back(after[l].grad_norm);
    }
    init.series.push_back(std::move(a));
    trained.series.push_back(std::move(b));
  }
  w.table(header, rows);
  w.chart(init, "depth-untrained");
  w.chart(trained, "depth-trained");
}

void timing_section(ReportWriter& w, const LabResults& r) {
  w.heading(2, "Timing");
  w.paragraph(fmt::format(
      "The runs took {:.0f} s of compute ({} thread(s) each); {} of them were reused from "
      "earlier runs of the same plan (OUT/runs), and this command took {:.0f} s.",
      r.seconds, r.threads, r.reused, r.wall_seconds));
  if (r.comparison.empty()) return;
  const auto s = summarize(r);
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : r.plan.activations) {
    double sum = 0;
    int n = 0;
    for (const auto& row : s.rows) {
      if (row.activation == a && row.seconds_per_epoch > 0) {
        sum += row.seconds_per_epoch;
        ++n;
      }
    }
    if (n > 0) rows.push_back({a, fmt::format("{:.2f}", sum / n)});
  }
  w.table({"function", "s / epoch (comparison, mean over its runs)"}, rows);
}

void init_section(ReportWriter& w, const LabResults& r) {
  w.heading(2, "Initialization and unbounded outputs");
  std::vector<std::string> settings;
  for (const auto& st : r.plan.init_settings) {
    settings.push_back(fmt::format("{} ({}{})", st.label, st.init,
                                   st.scale != 1 ? fmt::format(", weights x{}", st.scale) : ""));
  }
  w.paragraph(fmt::format(
      "The 10-layer MLP with {} under each initializer of the hidden layers: {}; seeds {}. The "
      "spread (standard deviation) of each hidden layer's outputs over {} batches of the untrained "
      "model, then {} epoch(s) of SGD at lr {}. Medians over the seeds.",
      fmt::join(r.plan.init_activations, " and "), fmt::join(settings, ", "),
      fmt::join(r.plan.dying_seeds, ", "), r.plan.depth_probe_batches, r.plan.init_epochs,
      r.plan.depth_lr));
  Chart spread_chart{.title = "Spread of the outputs per hidden layer, untrained",
                     .x_label = "hidden layer",
                     .y_label = "std of the outputs",
                     .log_y = true};
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : r.plan.init_activations) {
    for (const auto& st : r.plan.init_settings) {
      std::vector<std::vector<double>> per_layer;
      std::vector<double> acc;
      std::size_t runs = 0, diverged = 0;
      for (const auto& run : r.init) {
        if (run.activation != a || run.init_label != st.label) continue;
        ++runs;
        diverged += run.diverged;
        acc.push_back(run.training.empty() || run.diverged ? kChanceAccuracy
                                                           : run.training.back().test_acc);
        for (std::size_t l = 0; l < run.at_init.size(); ++l) {
          if (per_layer.size() <= l) per_layer.resize(l + 1);
          per_layer[l].push_back(run.at_init[l].stddev);
        }
      }
      if (runs == 0) continue;
      // The function's colour; solid, dotted, dash-dotted by initializer.
      const auto setting = static_cast<int>(&st - r.plan.init_settings.data());
      Series series{.name = fmt::format("{} {}", a, st.label),
                    .style = function_style(a) % 8 + 8 * (setting % 3)};
      for (std::size_t l = 0; l < per_layer.size(); ++l) {
        series.x.push_back(static_cast<double>(l + 1));
        series.y.push_back(spread(per_layer[l]).median);
      }
      const auto at = [&](std::size_t l) {
        return l < series.y.size() ? fmt::format("{:.3g}", series.y[l]) : std::string("-");
      };
      rows.push_back({a, st.label, at(0), at(per_layer.size() / 2),
                      per_layer.empty() ? "-" : at(per_layer.size() - 1), spread_text(spread(acc)),
                      diverged ? fmt::format("{} of {}", diverged, runs) : std::string()});
      spread_chart.series.push_back(std::move(series));
    }
  }
  w.table({"function", "initializer", "std, layer 1", "std, middle layer", "std, last layer",
           "test accuracy", "diverged"},
          rows);
  w.chart(spread_chart, "init-spread");
}

// Per function (or setting) of a study of runs: test accuracy, and per activation layer the
// dead units (a Conv2d's: its filters) and zero outputs in the last epoch, medians over seeds.
void runs_table(
    ReportWriter& w, const std::vector<Run>& runs,
    const std::vector<std::pair<std::string, std::function<bool(const Run&)>>>& groups) {
  std::vector<std::string> layers;
  for (const auto& run : runs) {
    if (!run.epochs.empty() && run.epochs.back().layers.size() > layers.size()) {
      layers.clear();
      for (const auto& l : run.epochs.back().layers) layers.push_back(l.layer);
    }
  }
  std::vector<std::string> header = {"", "test accuracy"};
  for (const auto& l : layers) header.push_back(fmt::format("{}: dead, zero outputs", l));
  header.push_back("diverged");
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, pick] : groups) {
    std::vector<double> acc;
    std::vector<std::vector<double>> dead(layers.size()), zero(layers.size());
    std::size_t n = 0, diverged = 0;
    for (const auto& run : runs) {
      if (!pick(run)) continue;
      ++n;
      diverged += run.diverged;
      acc.push_back(final_test_accuracy(run));
      if (run.diverged || run.epochs.empty()) continue;
      const auto& ls = run.epochs.back().layers;
      for (std::size_t l = 0; l < std::min(ls.size(), layers.size()); ++l) {
        dead[l].push_back(ls[l].dead_fraction());
        zero[l].push_back(ls[l].sparsity);
      }
    }
    if (n == 0) continue;
    std::vector<std::string> row = {name, spread_text(spread(acc))};
    for (std::size_t l = 0; l < layers.size(); ++l) {
      row.push_back(dead[l].empty() ? "-"
                                    : fmt::format("{} dead, {} zero", pct(spread(dead[l]).median),
                                                  pct(spread(zero[l]).median)));
    }
    row.push_back(diverged ? fmt::format("{} of {}", diverged, n) : std::string());
    rows.push_back(std::move(row));
  }
  w.table(header, rows);
}

void cnn_section(ReportWriter& w, const LabResults& r) {
  w.heading(2, "ReLU in the seeds' CNN");
  w.paragraph(fmt::format(
      "The seeds' CNN (`rectify train --model cnn`: two 3x3 convolutions of 32 and 64 filters, "
      "each followed by the function and 2x2 max pooling, then 128 units and the classifier) with "
      "{}, seeds {}: {} epoch(s) of SGD with momentum at lr {} on {}. A dead filter: an output "
      "channel whose every output had zero derivative over the epoch. Medians over the seeds.",
      fmt::join(r.plan.cnn_activations, ", "), fmt::join(r.plan.dying_seeds, ", "),
      r.plan.model_epochs, r.plan.lr, images_text(r.plan)));
  std::vector<std::pair<std::string, std::function<bool(const Run&)>>> groups;
  for (const auto& a : r.plan.cnn_activations) {
    groups.emplace_back(a, [a](const Run& run) { return run.activation == a; });
  }
  runs_table(w, r.cnn, groups);
  // Zero outputs layer by layer: where each function's sparsity sits in the network.
  Chart zeros{.title = "Zero outputs per layer of the CNN (median)",
              .x_label = "layer (1, 2: convolutions; 3: fully connected)",
              .y_label = "fraction of outputs = 0",
              .y_min = 0.0};
  for (const auto& a : r.plan.cnn_activations) {
    std::vector<std::vector<double>> per_layer;
    for (const auto& run : r.cnn) {
      if (run.activation != a || run.diverged || run.epochs.empty()) continue;
      const auto& ls = run.epochs.back().layers;
      if (per_layer.size() < ls.size()) per_layer.resize(ls.size());
      for (std::size_t l = 0; l < ls.size(); ++l) per_layer[l].push_back(ls[l].sparsity);
    }
    Series line{.name = a, .style = function_style(a)};
    for (std::size_t l = 0; l < per_layer.size(); ++l) {
      line.x.push_back(static_cast<double>(l + 1));
      line.y.push_back(spread(per_layer[l]).median);
    }
    zeros.series.push_back(std::move(line));
  }
  w.chart(zeros, "cnn-zeros");
}

void rnn_section(ReportWriter& w, const LabResults& r) {
  w.heading(2, "ReLU in an RNN");
  std::vector<std::string> settings;
  for (const auto& st : r.plan.rnn_settings) {
    settings.push_back(fmt::format(
        "{} ({} recurrent weights, {})", st.label,
        st.identity_init ? "identity" : "PyTorch's uniform",
        st.max_grad_norm > 0 ? fmt::format("gradients clipped to norm {}", st.max_grad_norm)
                             : std::string("no clipping")));
  }
  w.paragraph(fmt::format(
      "The ReLU RNN (`rectify train --model rnn`: the 28 rows of an image as 28 steps, 128 units, "
      "as `nn.RNN(nonlinearity='relu')`) under each setting: {}; seeds {}, {} epoch(s) of SGD "
      "with momentum at lr {} on {}. A run that exploded (its loss or weights became infinite "
      "or NaN) counts as chance accuracy.",
      fmt::join(settings, "; "), fmt::join(r.plan.dying_seeds, ", "), r.plan.model_epochs,
      r.plan.lr, images_text(r.plan)));
  std::vector<std::pair<std::string, std::function<bool(const Run&)>>> groups;
  for (const auto& st : r.plan.rnn_settings) {
    groups.emplace_back(st.label,
                        [label = st.label](const Run& run) { return run.setting == label; });
  }
  runs_table(w, r.rnn, groups);
  // Each seed's run: an explosion shows as a drop to chance.
  Chart by_seed{.title = "Test accuracy of each seed's ReLU RNN",
                .x_label = "seed",
                .y_label = "test accuracy (10%: exploded)",
                .y_min = 0.0};
  for (std::size_t k = 0; k < r.plan.rnn_settings.size(); ++k) {
    const auto& st = r.plan.rnn_settings[k];
    Series line{.name = st.label, .style = static_cast<int>(8 * (k % 3) + k / 3)};
    for (const auto seed : r.plan.dying_seeds) {
      for (const auto& run : r.rnn) {
        if (run.setting != st.label || run.seed != seed) continue;
        line.x.push_back(static_cast<double>(seed));
        line.y.push_back(final_test_accuracy(run));
      }
    }
    by_seed.series.push_back(std::move(line));
  }
  w.chart(by_seed, "rnn-seeds");
}

void cost_section(ReportWriter& w, const LabResults& r) {
  w.heading(2, "Cost");
  w.paragraph(fmt::format(
      "The SIMD kernels alone ({}): nanoseconds per element over 65536 floats in cache, one "
      "thread, median of 3; `rectify bench` measures every pass and size against copy bandwidth.",
      r.simd_target));
  double relu = NAN;
  for (const auto& c : r.cost) {
    if (c.activation == "relu") relu = c.forward_ns;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : r.cost) {
    rows.push_back({c.activation, fmt::format("{:.3f}", c.forward_ns),
                    fmt::format("{:.2f}", c.forward_ns / relu),
                    c.backward_ns > 0 ? fmt::format("{:.3f}", c.backward_ns) : "-"});
  }
  w.table({"function", "forward ns / element", "forward / relu", "backward ns / element"}, rows);
}

void properties_section(ReportWriter& w, const LabResults& r) {
  w.heading(2, "Properties");
  w.paragraph(
      "Seed 004's checklist, measured from each function's scalar definition in double "
      "(`rectify props` prints more): range, monotonicity, smoothness, saturation, and the "
      "output for N(0, 1) input.");
  std::vector<std::vector<std::string>> rows;
  const PropertyOptions options{.normal_samples = 100'000};
  for (const auto& a : r.plan.activations) {
    const auto p = measure_properties(Activation::parse(a), options);
    std::string kinks;
    for (const auto& pt : p.points) {
      if (!pt.differentiable) kinks += (kinks.empty() ? "" : ", ") + fmt::format("{}", pt.x);
    }
    std::string saturates = p.saturates_left && p.saturates_right ? "both sides"
                            : p.saturates_left                    ? "x -> -inf"
                            : p.saturates_right                   ? "x -> +inf"
                                                                  : "no";
    rows.push_back({a, std::string(p.formula), p.range.text(),
                    std::string(monotonicity_name(p.monotonicity)),
                    kinks.empty() ? "smooth" : "kink at " + kinks, saturates,
                    fmt::format("{:+.3f}", p.normal.mean), pct(p.normal.zero_fraction),
                    std::string(p.default_init)});
  }
  w.table({"function", "f(x)", "range", "monotonic", "differentiable", "saturates",
           "mean on N(0,1)", "zeros on N(0,1)", "init"},
          rows);
}

}  // namespace

ReportFiles write_report(const LabResults& results, const std::vector<Claim>& claims,
                         const std::string& dir, const std::string& command) {
  ReportWriter w("rectify lab: the ReLU family on Fashion-MNIST");
  header(w, results, command);
  claims_section(w, claims);
  comparison_section(w, results);
  if (!results.comparison.empty() || !results.cnn.empty()) anchor_section(w, results);
  dying_section(w, results);
  depth_section(w, results);
  if (!results.init.empty()) init_section(w, results);
  if (!results.cnn.empty()) cnn_section(w, results);
  if (!results.rnn.empty()) rnn_section(w, results);
  properties_section(w, results);
  timing_section(w, results);  // the measured times last: the sections above are reproducible
  if (!results.cost.empty()) cost_section(w, results);

  const fs::path out(dir);
  std::error_code ec;
  fs::create_directories(out / "charts", ec);
  if (ec) throw std::runtime_error(fmt::format("cannot create {}: {}", dir, ec.message()));
  ReportFiles files{.markdown = (out / "report.md").string(),
                    .html = (out / "report.html").string()};
  for (const auto& [stem, svg] : w.charts()) {
    const auto path = out / "charts" / (stem + ".svg");
    io::write_file_atomically(path, svg);
    files.charts.push_back(path.string());
  }
  io::write_file_atomically(files.markdown, w.markdown());
  io::write_file_atomically(files.html, w.html());
  return files;
}

}  // namespace rectify::lab
