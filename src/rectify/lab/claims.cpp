#include "rectify/lab/claims.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <functional>

#include "rectify/act/reference.hpp"
#include "rectify/act/registry.hpp"
#include "rectify/lab/stats.hpp"
#include "rectify/lab/summary.hpp"
#include "rectify/nn/activation_layer.hpp"

namespace rectify::lab {
namespace {

constexpr const char* kCompare = "Activation comparison";
constexpr const char* kDying = "Dying ReLU";
constexpr const char* kDepth = "Depth and vanishing gradients";
constexpr const char* kInit = "Initialization and unbounded outputs";
constexpr const char* kCnn = "ReLU in the seeds' CNN";
constexpr const char* kRnn = "ReLU in an RNN";
constexpr const char* kCost = "Cost";
constexpr const char* kProps = "Properties";

std::string pct(double x) {
  return fmt::format("{:.1f}%", 100 * x);
}

double cost_of(const LabResults& r, const std::string& a) {
  for (const auto& c : r.cost) {
    if (c.activation == a) return c.forward_ns;
  }
  return NAN;
}

const DepthRun* depth_of(const LabResults& r, const std::string& a) {
  for (const auto& d : r.depth) {
    if (d.activation == a) return &d;
  }
  return nullptr;
}

// The largest dead fraction of a function's first hidden layer over the dying-study runs; with
// `learning_only`, over the runs whose final test accuracy is still at least 50% (a run whose
// weights blew up kills units of any function, saturating ones included).
double worst_dead(const LabResults& r, const std::string& a, bool learning_only = false) {
  double worst = 0;
  for (const auto* runs : {&r.dying_lr, &r.dying_bias}) {
    for (const auto& run : *runs) {
      if (run.activation != a || run.epochs.empty() || run.epochs.back().layers.empty()) continue;
      if (learning_only && run.epochs.back().test_acc < 0.5) continue;
      worst = std::max(worst, run.epochs.back().layers[0].dead_fraction());
    }
  }
  return worst;
}

Claim missing(Claim c, const std::string& what) {
  c.verdict = Verdict::mixed;
  c.evidence = "not measured in this run (" + what + ")";
  return c;
}

Claim cheap(const LabResults& r) {
  Claim c{"ReLU is cheap to compute: max(0, x) needs no exponential", "000, 002, 003", kCost};
  const double relu = cost_of(r, "relu");
  std::vector<std::string> slower_than_half;
  double fastest = relu;
  std::string costly;
  for (const auto& row : r.cost) {
    fastest = std::min(fastest, row.forward_ns);
    const FunctionInfo* f = find_function(row.activation);
    if (f == nullptr || f->exact) continue;  // the exp-based functions only
    costly += fmt::format("{}{} {:.2f}x", costly.empty() ? "" : ", ", row.activation,
                          row.forward_ns / relu);
    if (row.forward_ns < 2 * relu) slower_than_half.push_back(row.activation);
  }
  if (std::isnan(relu) || costly.empty()) return missing(c, "no cost figures");
  // Within 25% of the fastest: the piecewise-linear functions all run at the cache bandwidth,
  // where one measurement differs from the next by 10-20% on a busy machine.
  const bool near_fastest = relu <= 1.25 * fastest;
  c.verdict = near_fastest && slower_than_half.empty()   ? Verdict::supported
              : near_fastest || slower_than_half.empty() ? Verdict::mixed
                                                         : Verdict::not_supported;
  c.evidence = fmt::format(
      "relu forward {:.3f} ns per element (one thread, 64K floats in cache); the fastest function "
      "{:.3f} ns. Cost relative to relu: {}.",
      relu, fastest, costly);
  return c;
}

// A claim that one function's figure lies above (way = +1) or below (-1) another's, judged by
// paired tests over the seeds: for each optimizer of the sweep, each function at its own best
// rate for it (chosen on the validation images). Supported when every test points the claimed
// way at p < 0.05 (one-sided sign test), not supported when none does and one points the other
// way, mixed otherwise.
struct Pair {
  std::string a, b;
};

using Figure = std::vector<double> ActivationSummary::PerSeed::*;

struct PairedEvidence {
  Verdict verdict = Verdict::mixed;
  std::string text;
  bool missing = false;
};

PairedEvidence compare_pairs(const ComparisonSummary& s, const std::vector<Pair>& pairs,
                             Figure figure, int way, double scale, const std::string& unit) {
  PairedEvidence e;
  int for_claim = 0, against = 0, tests = 0;
  for (const auto& optimizer : s.optimizers) {
    std::string part;
    for (const auto& [a, b] : pairs) {
      const auto *ra = s.best(a, optimizer), *rb = s.best(b, optimizer);
      if (!ra || !rb) {
        e.missing = true;
        return e;
      }
      const auto t = paired_test(ra->seeds.*figure, rb->seeds.*figure);
      const int d = direction(t);
      ++tests;
      for_claim += d == way;
      against += d == -way;
      part += fmt::format("{}{} (lr {}) - {} (lr {}): {}", part.empty() ? "" : "; ", a,
                          ra->setting.lr, b, rb->setting.lr, describe(t, scale, unit));
    }
    e.text += fmt::format("{}{}: {}.", e.text.empty() ? "" : " ", optimizer, part);
  }
  e.verdict = for_claim == tests              ? Verdict::supported
              : for_claim == 0 && against > 0 ? Verdict::not_supported
                                              : Verdict::mixed;
  return e;
}

Claim converges_faster(const ComparisonSummary& s) {
  Claim c{"ReLU converges faster than sigmoid and tanh", "003, 002", kCompare};
  const auto e = compare_pairs(s, {{"relu", "tanh"}, {"relu", "sigmoid"}},
                               &ActivationSummary::PerSeed::first_acc, +1, 100, " points");
  if (e.missing) return missing(c, "relu, tanh or sigmoid not compared");
  c.verdict = e.verdict;
  c.evidence = "Test accuracy after the first epoch, paired by seed: " + e.text;
  return c;
}

Claim sparse(const ComparisonSummary& s) {
  Claim c{"ReLU gives sparse activations: many units output exactly zero", "002, 003", kCompare};
  const auto e = compare_pairs(s, {{"relu", "tanh"}, {"relu", "sigmoid"}},
                               &ActivationSummary::PerSeed::sparsity, +1, 100, " points");
  const auto* relu = s.shared("relu");
  if (e.missing || !relu) return missing(c, "relu, tanh or sigmoid not compared");
  // "Many": at least 30% of the outputs at the shared setting; fewer than 5% is not sparse.
  c.verdict = relu->sparsity < 0.05                                      ? Verdict::not_supported
              : e.verdict == Verdict::supported && relu->sparsity >= 0.3 ? Verdict::supported
                                                                         : Verdict::mixed;
  c.evidence = fmt::format(
      "Zero outputs of the hidden layer in the last epoch: relu {} (median at {} {}). Paired by "
      "seed: {}",
      pct(relu->sparsity), s.shared_setting.optimizer, s.shared_setting.lr, e.text);
  return c;
}

Claim generalises(const ComparisonSummary& s) {
  Claim c{"Sparse representations improve generalisation (less overfitting)", "002, 003", kCompare};
  const auto e = compare_pairs(s, {{"relu", "tanh"}, {"relu", "sigmoid"}},
                               &ActivationSummary::PerSeed::gap, -1, 100, " points");
  if (e.missing) return missing(c, "relu, tanh or sigmoid not compared");
  c.verdict = e.verdict;
  c.evidence =
      "Train minus test accuracy in the last epoch (lower: less overfitting), paired by "
      "seed: " +
      e.text;
  return c;
}

Claim no_vanishing(const LabResults& r) {
  Claim c{"ReLU avoids the vanishing gradient that sigmoid and tanh suffer in deep networks",
          "000, 002, 003, 004", kDepth};
  const auto *relu = depth_of(r, "relu"), *sigmoid = depth_of(r, "sigmoid"),
             *tanh = depth_of(r, "tanh");
  if (!relu || !sigmoid || !tanh) return missing(c, "relu, sigmoid or tanh not in the depth study");
  const double rr = gradient_ratio(relu->at_init), rs = gradient_ratio(sigmoid->at_init),
               rt = gradient_ratio(tanh->at_init);
  const bool beats_sigmoid = rr >= 10 * rs, beats_tanh = rr > rt;
  c.verdict = rr >= 0.1 && beats_sigmoid && beats_tanh ? Verdict::supported
              : rr < rs                                ? Verdict::not_supported
                                                       : Verdict::mixed;
  c.evidence = fmt::format(
      "Gradient norm at the first hidden layer over that at the last, 10-layer MLP at "
      "initialisation: relu {:.3g}, tanh {:.3g}, sigmoid {:.3g}.",
      rr, rt, rs);
  return c;
}

// Per seed (the plan's dying seeds), a figure of the init study's runs of (activation, label).
std::vector<double> init_figure(const LabResults& r, const std::string& activation,
                                const std::string& label,
                                const std::function<double(const InitRun&)>& figure) {
  std::vector<double> out(r.plan.dying_seeds.size(), NAN);
  for (const auto& run : r.init) {
    if (run.activation != activation || run.init_label != label) continue;
    const auto at = std::find(r.plan.dying_seeds.begin(), r.plan.dying_seeds.end(), run.seed);
    if (at != r.plan.dying_seeds.end())
      out[static_cast<std::size_t>(at - r.plan.dying_seeds.begin())] = figure(run);
  }
  return out;
}

double last_std(const InitRun& run) {
  return run.at_init.empty() ? NAN : run.at_init.back().stddev;
}

// How much the outputs' spread grows from the first hidden layer to the last, at initialization.
double growth(const InitRun& run) {
  if (run.at_init.size() < 2 || !(run.at_init.front().stddev > 0)) return NAN;
  return run.at_init.back().stddev / run.at_init.front().stddev;
}

std::size_t diverged_runs(const LabResults& r, const std::string& activation,
                          const std::string& label) {
  std::size_t n = 0;
  for (const auto& run : r.init)
    n += run.activation == activation && run.init_label == label && run.diverged;
  return n;
}

Claim unbounded(const LabResults& r) {
  Claim c{
      "Unbounded output: ReLU can produce very large outputs, potentially causing unstable "
      "activations if weights aren't initialized properly",
      "002, 004", kInit};
  const auto he = init_figure(r, "relu", "He", last_std);
  const auto big = init_figure(r, "relu", "He x3", last_std);
  const auto capped = init_figure(r, "relu6", "He x3", last_std);
  if (spread(he).count == 0 || spread(big).count == 0) {
    return missing(c, "relu under He and under He x3 not both run");
  }
  const auto t = paired_test(big, he);
  const double g = spread(init_figure(r, "relu", "He x3", growth)).median;
  const auto cap = spread(capped);
  const bool grows = direction(t) > 0 && g > 10;
  // relu6's outputs lie in [0, 6]: their spread cannot pass 3, whatever the weights.
  const bool contrast = cap.count == 0 || cap.high <= 3;
  c.verdict = grows && contrast  ? Verdict::supported
              : direction(t) < 0 ? Verdict::not_supported
                                 : Verdict::mixed;
  c.evidence = fmt::format(
      "Spread (std) of the last hidden layer's outputs of the untrained 10-layer MLP, weights 3x "
      "He's against He's: relu {:.3g} against {:.3g} (median), paired by seed {}; it grows x{:.3g} "
      "from the first hidden layer to the last (under He: x{:.3g}).{} Training under He x3: {} of "
      "{} relu runs diverged.",
      spread(big).median, spread(he).median, describe(t, 1, ""), g,
      spread(init_figure(r, "relu", "He", growth)).median,
      cap.count == 0 ? std::string()
                     : fmt::format(" relu6, capped at 6, under He x3: {:.3g} at most.", cap.high),
      diverged_runs(r, "relu", "He x3"), spread(big).count);
  return c;
}

Claim he_suits_relu(const LabResults& r) {
  Claim c{"He initialization suits ReLU: it keeps the signal's scale through depth", "004", kInit};
  // Distance of the first-to-last growth from 1, on a log scale: 0 when the scale is kept.
  const auto off = [](const InitRun& run) { return std::fabs(std::log(growth(run))); };
  const auto he = init_figure(r, "relu", "He", off);
  const auto glorot = init_figure(r, "relu", "Glorot", off);
  if (spread(he).count == 0 || spread(glorot).count == 0) {
    return missing(c, "relu under He and under Glorot not both run");
  }
  const auto t = paired_test(he, glorot);
  const int d = direction(t);
  c.verdict = d < 0 ? Verdict::supported : d > 0 ? Verdict::not_supported : Verdict::mixed;
  const auto acc = [](const InitRun& run) {
    return run.training.empty() ? NAN : run.training.front().test_acc;
  };
  c.evidence = fmt::format(
      "Growth of the outputs' spread from the first hidden layer to the last, untrained 10-layer "
      "MLP: x{:.3g} under He, x{:.3g} under Glorot (medians); |log growth| He minus Glorot, paired "
      "by seed: {}. Test accuracy after one epoch: {} under He, {} under Glorot.",
      spread(init_figure(r, "relu", "He", growth)).median,
      spread(init_figure(r, "relu", "Glorot", growth)).median, describe(t, 1, ""),
      pct(spread(init_figure(r, "relu", "He", acc)).median),
      pct(spread(init_figure(r, "relu", "Glorot", acc)).median));
  return c;
}

// A figure of the last epoch of the runs of `activation` (and setting) per seed (the plan's
// dying seeds); a run that diverged counts at chance accuracy.
std::vector<double> final_accuracy(const LabResults& r, const std::vector<Run>& runs,
                                   const std::string& activation, const std::string& setting) {
  std::vector<double> out(r.plan.dying_seeds.size(), NAN);
  for (const auto& run : runs) {
    if (run.activation != activation || run.setting != setting) continue;
    const auto at = std::find(r.plan.dying_seeds.begin(), r.plan.dying_seeds.end(), run.seed);
    if (at == r.plan.dying_seeds.end()) continue;
    out[static_cast<std::size_t>(at - r.plan.dying_seeds.begin())] = final_test_accuracy(run);
  }
  return out;
}

Claim cnn_works(const LabResults& r) {
  Claim c{
      "ReLU is the activation of CNNs: in the seeds' CNN it trains at least as well as its "
      "variants, and better than tanh",
      "000, 002, 003", kCnn};
  const auto relu = final_accuracy(r, r.cnn, "relu", "");
  if (spread(relu).count == 0) return missing(c, "the CNN study did not run relu");
  int worse = 0, better_than_tanh = 0, vs_tanh = 0;
  std::string text;
  for (const auto& a : r.plan.cnn_activations) {
    if (a == "relu") continue;
    const auto t = paired_test(relu, final_accuracy(r, r.cnn, a, ""));
    if (a == "tanh") {
      vs_tanh = direction(t);
      better_than_tanh = vs_tanh > 0;
    } else {
      worse += direction(t) < 0;
    }
    text +=
        fmt::format("{}relu - {}: {}", text.empty() ? "" : "; ", a, describe(t, 100, " points"));
  }
  c.verdict = worse == 0 && better_than_tanh ? Verdict::supported
              : worse > 0 && vs_tanh < 0     ? Verdict::not_supported
                                             : Verdict::mixed;
  c.evidence =
      fmt::format("Test accuracy of the CNN ({} epoch(s) on {} images), paired by seed: {}.",
                  r.plan.model_epochs,
                  r.plan.model_images > 0 ? fmt::format("{}", r.plan.model_images)
                                          : std::string("all training"),
                  text);
  return c;
}

Claim rnn_with_care(const LabResults& r) {
  Claim c{
      "ReLU works in RNNs (nn.RNN(nonlinearity='relu')), given care: clipped gradients keep "
      "it from exploding",
      "003", kRnn};
  if (r.rnn.empty() || r.plan.rnn_settings.empty()) return missing(c, "the RNN study did not run");
  std::string text;
  std::size_t clipped_diverged = 0, clipped_runs = 0, unclipped_diverged = 0;
  double best_clipped = 0;
  for (const auto& st : r.plan.rnn_settings) {
    const auto acc = final_accuracy(r, r.rnn, "relu", st.label);
    std::size_t diverged = 0, runs = 0;
    for (const auto& run : r.rnn) {
      if (run.setting != st.label) continue;
      ++runs;
      diverged += run.diverged;
    }
    if (st.max_grad_norm > 0) {
      clipped_diverged += diverged;
      clipped_runs += runs;
      best_clipped = std::max(best_clipped, spread(acc).median);
    } else {
      unclipped_diverged += diverged;
    }
    text += fmt::format("{}{}: {} test accuracy, {} of {} runs exploded", text.empty() ? "" : "; ",
                        st.label, pct(spread(acc).median), diverged, runs);
  }
  // It works: a clipped setting learns (median accuracy >= 50%) and no clipped run explodes.
  // Care matters: the first setting (clipped) against the second (the same without clipping),
  // paired by seed, at p < 0.05.
  const bool works = clipped_runs > 0 && clipped_diverged == 0 && best_clipped >= 0.5;
  PairedTest care;
  if (r.plan.rnn_settings.size() >= 2) {
    care = paired_test(final_accuracy(r, r.rnn, "relu", r.plan.rnn_settings[0].label),
                       final_accuracy(r, r.rnn, "relu", r.plan.rnn_settings[1].label));
    text += fmt::format("; {} - {}: {}", r.plan.rnn_settings[0].label, r.plan.rnn_settings[1].label,
                        describe(care, 100, " points"));
  }
  c.verdict = works && unclipped_diverged > 0 && direction(care) > 0 ? Verdict::supported
              : !works && best_clipped < 0.5                         ? Verdict::not_supported
                                                                     : Verdict::mixed;
  c.evidence = fmt::format(
      "The ReLU RNN (28 rows of 28 pixels as steps, 128 units; SGD at lr {}, {} epoch(s)), median "
      "over {} seeds: {}. (A run that exploded counts as chance, 10%.)",
      r.plan.lr, r.plan.model_epochs, r.plan.dying_seeds.size(), text);
  return c;
}

Claim can_die(const LabResults& r) {
  Claim c{"ReLU units can die: stuck at zero for every input, they stop learning", "002, 003, 004",
          kDying};
  if (r.dying_lr.empty() && r.dying_bias.empty()) return missing(c, "no dying-ReLU runs");
  // A claim of existence: one run with dead units shows it; the count says how common.
  std::size_t runs = 0, with_dead = 0;
  for (const auto* study : {&r.dying_lr, &r.dying_bias}) {
    for (const auto& run : *study) {
      if (run.activation != "relu" || run.epochs.empty() || run.epochs.back().layers.empty()) {
        continue;
      }
      ++runs;
      with_dead += run.epochs.back().layers[0].dead > 0;
    }
  }
  const double worst = worst_dead(r, "relu");
  c.verdict = worst > 0 ? Verdict::supported : Verdict::not_supported;
  c.evidence = fmt::format(
      "A claim of existence: {} of {} relu runs of the dying-ReLU study ended with dead units; "
      "the most, {} of the hidden layer.",
      with_dead, runs, pct(worst));
  return c;
}

// Dead relu units at `high` against `low` (rates or biases), paired by seed.
Claim dies_more(Claim c, const DyingCell& low, const DyingCell& high, const std::string& what) {
  const auto t = paired_test(high.dead_per_seed, low.dead_per_seed);
  const int d = direction(t);
  const bool none_died = t.pairs > 0 && high.dead_fraction == 0 && low.dead_fraction == 0 &&
                         t.above == 0 && t.below == 0;
  c.verdict = d > 0                ? Verdict::supported
              : d < 0 || none_died ? Verdict::not_supported
                                   : Verdict::mixed;
  c.evidence = fmt::format(
      "Dead relu units in the last epoch, median over {} seeds: {} {}; paired by seed: {}{}.",
      t.pairs, what, pct(high.dead_fraction) + " against " + pct(low.dead_fraction),
      describe(t, 100, " points"),
      high.diverged > 0 ? fmt::format(" ({} of {} runs diverged)", high.diverged, high.runs) : "");
  return c;
}

Claim dies_with_rate(const LabResults& r) {
  Claim c{"Dying is likelier with a high learning rate", "003", kDying};
  const auto& lrs = r.plan.dying_lrs;
  if (lrs.size() < 2) return missing(c, "fewer than two learning rates");
  const auto low = dying_cell(r.dying_lr, "relu", lrs.front(), {}, r.plan.dying_seeds);
  const auto high = dying_cell(r.dying_lr, "relu", lrs.back(), {}, r.plan.dying_seeds);
  if (!low.present || !high.present) return missing(c, "no relu runs at both rates");
  return dies_more(c, low, high, fmt::format("lr {} against lr {}:", lrs.back(), lrs.front()));
}

Claim dies_with_bias(const LabResults& r) {
  Claim c{"Dying is likelier with a large negative bias", "003", kDying};
  const auto& biases = r.plan.dying_biases;
  if (biases.size() < 2) return missing(c, "fewer than two biases");
  const double most_negative = *std::min_element(biases.begin(), biases.end());
  const double least_negative = *std::max_element(biases.begin(), biases.end());
  const auto base = dying_cell(r.dying_bias, "relu", {}, least_negative, r.plan.dying_seeds);
  const auto neg = dying_cell(r.dying_bias, "relu", {}, most_negative, r.plan.dying_seeds);
  if (!base.present || !neg.present) return missing(c, "no relu runs at both biases");
  return dies_more(c, base, neg,
                   fmt::format("initial bias {} against {}:", most_negative, least_negative));
}

Claim prevents_dying(const LabResults& r, const std::vector<std::string>& fixes,
                     std::string statement, std::string source) {
  Claim c{std::move(statement), std::move(source), kDying};
  for (const auto& f : fixes) {
    if (!dying_cell(r.dying_lr, f, {}, {}).present) return missing(c, f + " not run");
  }
  const double relu = worst_dead(r, "relu", true);
  std::string figures;
  double worst_fix = 0, worst_fix_learning = 0;
  for (const auto& f : fixes) {
    const double w = worst_dead(r, f), learning = worst_dead(r, f, true);
    worst_fix = std::max(worst_fix, w);
    worst_fix_learning = std::max(worst_fix_learning, learning);
    figures += fmt::format(", {} {} ({} in any run)", f, pct(learning), pct(w));
  }
  // A run that diverged has no dead units to count: where a fix diverged and relu did not, its
  // clean record proves less.
  std::string diverged;
  for (const auto& f : fixes) {
    for (const auto& run : r.dying_lr) {
      if (run.activation != f || !run.diverged) continue;
      const auto relu_run = dying_cell(r.dying_lr, "relu", run.lr, {});
      if (relu_run.present && relu_run.diverged == 0) {
        diverged += fmt::format("{}{} at lr {}", diverged.empty() ? "" : ", ", f, run.lr);
      }
    }
  }
  c.verdict = worst_fix_learning > 0 || relu == 0  ? Verdict::not_supported
              : worst_fix > 0 || !diverged.empty() ? Verdict::mixed
                                                   : Verdict::supported;
  if (relu == 0 && worst_fix_learning == 0) c.verdict = Verdict::mixed;
  c.evidence = fmt::format(
      "Most dead units in a dying-study run that still learns (test accuracy >= 50%): relu "
      "{}{}.{}{}",
      pct(relu), figures,
      relu > 0 ? "" : " No relu unit died in those runs, so there was nothing to prevent.",
      worst_fix > worst_fix_learning
          ? " Units also died in runs whose weights blew up (the loss diverged or accuracy "
            "collapsed): a saturating function's slope underflows to 0 there too."
          : "");
  if (!diverged.empty()) {
    c.evidence += fmt::format(" Diverged where relu did not: {}.", diverged);
  }
  return c;
}

Claim zero_mean_speeds(const ComparisonSummary& s) {
  Claim c{"A mean activation closer to zero (Leaky ReLU, ELU) speeds up training", "003", kCompare};
  const auto e = compare_pairs(s, {{"leaky_relu", "relu"}, {"elu", "relu"}},
                               &ActivationSummary::PerSeed::first_acc, +1, 100, " points");
  const auto *relu = s.shared("relu"), *leaky = s.shared("leaky_relu"), *elu = s.shared("elu");
  if (e.missing || !relu || !leaky || !elu) {
    return missing(c, "relu, leaky_relu or elu not compared");
  }
  const bool closer = std::fabs(leaky->mean_activation) < std::fabs(relu->mean_activation) &&
                      std::fabs(elu->mean_activation) < std::fabs(relu->mean_activation);
  c.verdict = !closer && e.verdict == Verdict::supported ? Verdict::mixed : e.verdict;
  c.evidence = fmt::format(
      "Median mean hidden activation at {} {}: relu {:+.3f}, leaky_relu {:+.3f}, elu {:+.3f}. "
      "Test accuracy after the first epoch, paired by seed: {}",
      s.shared_setting.optimizer, s.shared_setting.lr, relu->mean_activation,
      leaky->mean_activation, elu->mean_activation, e.text);
  return c;
}

Claim elu_saturates() {
  Claim c{"ELU saturates for large negative inputs (to -alpha, with a vanishing slope)", "003",
          kProps};
  const auto elu = Activation::parse("elu");
  const double y = ref::forward(elu, -20.0), dy = ref::backward(elu, -20.0, 1.0);
  const double y_relu = ref::forward(Activation::parse("leaky_relu"), -20.0);
  c.verdict = std::fabs(y + 1.0) < 1e-8 && dy < 1e-8 ? Verdict::supported : Verdict::not_supported;
  c.evidence = fmt::format(
      "elu(-20) = {:.10f} and elu'(-20) = {:.3g} (alpha = 1), from the scalar definition; "
      "leaky_relu(-20) = {:.2f} keeps going down.",
      y, dy, y_relu);
  return c;
}

Claim relu6_sparse_early(const ComparisonSummary& s) {
  Claim c{"ReLU6's cap encourages the model to learn sparse features earlier", "002, 003",
          kCompare};
  const auto e = compare_pairs(s, {{"relu6", "relu"}}, &ActivationSummary::PerSeed::first_sparsity,
                               +1, 100, " points");
  if (e.missing) return missing(c, "relu or relu6 not compared");
  c.verdict = e.verdict;
  c.evidence = "Zero outputs of the hidden layer in the first epoch, paired by seed: " + e.text;
  return c;
}

Claim crelu_doubles() {
  Claim c{"CReLU doubles the output dimension", "003", kProps};
  nn::ActivationLayer layer("crelu", Activation::parse("crelu"));
  nn::Tensor x(nn::Shape{2, 5});
  const auto& y = layer.forward(x, false);
  const bool doubled = y.shape() == nn::Shape{2, 10};
  c.verdict = doubled ? Verdict::supported : Verdict::not_supported;
  c.evidence = fmt::format(
      "A CReLU layer maps {} to {}; in the comparison MLP, 128 hidden units "
      "feed 256 inputs of the output layer.",
      x.shape().to_string(), y.shape().to_string());
  return c;
}

}  // namespace

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::supported:
      return "supported";
    case Verdict::not_supported:
      return "not supported";
    case Verdict::mixed:
      return "mixed";
  }
  return "?";
}

std::vector<Unjudged> unjudged_statements() {
  return {
      {"ReLU is the most commonly used activation (in CNNs especially)", "000, 003",
       "a statement about practice; what the lab can test, that it works in the seeds' CNN, is "
       "judged above"},
      {"ELU decreases the vanishing gradient problem", "000",
       "measured, not judged as a claim: ELU's gradient ratio is in the depth study's table"},
      {"Sparse networks are faster than dense ones (fewer things to compute)", "003",
       "not measurable here: rectify's kernels do the same work for a zero as for any value"},
      {"ReLU is a good first choice, an excellent general-purpose activation", "000, 003",
       "advice, not a testable statement; the comparison's tables show where relu ranks"},
      {"Use cases: text classification, object detection, GANs, reinforcement learning; "
       "ReLU6 in mobile and low-power models",
       "002", "statements about practice, outside what Fashion-MNIST can show"},
      {"Definitions: ReLU, its derivative, Leaky ReLU, PReLU, ELU, SELU, CReLU, ReLU6", "all",
       "checked by the test suite against each function's scalar definition, not by the lab"},
  };
}

std::vector<Claim> judge_claims(const LabResults& r) {
  const auto s = summarize(r);
  return {cheap(r),
          converges_faster(s),
          sparse(s),
          generalises(s),
          no_vanishing(r),
          unbounded(r),
          he_suits_relu(r),
          cnn_works(r),
          rnn_with_care(r),
          can_die(r),
          dies_with_rate(r),
          dies_with_bias(r),
          prevents_dying(r, {"leaky_relu", "elu"},
                         "Leaky ReLU and ELU prevent dying (no zero-slope region)", "000, 003"),
          prevents_dying(r, {"prelu"}, "Parametric ReLU mitigates dying", "002, 004"),
          zero_mean_speeds(s),
          elu_saturates(),
          relu6_sparse_early(s),
          crelu_doubles()};
}

}  // namespace rectify::lab
