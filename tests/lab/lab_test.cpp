// The lab end to end on a tiny run (every section, a verdict for every claim, charts inline in
// the HTML and as files for the Markdown), and the verdict rules on constructed results.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "rectify/data/dataset.hpp"
#include "rectify/lab/claims.hpp"
#include "rectify/lab/report.hpp"
#include "rectify/lab/studies.hpp"
#include "rectify/lab/summary.hpp"

namespace rectify::lab {
namespace {

namespace fs = std::filesystem;

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

data::FashionMnist tiny_data() {
  auto d = data::load_fashion_mnist_sample();
  for (auto* set : {&d.train, &d.test}) {
    const std::size_t n = set == &d.train ? 256 : 128;
    set->images.resize(n * set->rows * set->cols);
    set->labels.resize(n);
    set->count = n;
  }
  return d;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

TEST(Lab, TinyRunWritesEverySectionAndAVerdictForEveryClaim) {
  auto plan = make_plan("quick");
  plan.activations = {"relu", "leaky_relu", "prelu", "elu", "relu6", "crelu", "tanh", "sigmoid"};
  plan.seeds = {1};
  plan.epochs = 2;
  plan.dying_epochs = 2;
  plan.depth_activations = {"relu", "tanh", "sigmoid"};
  plan.depth_probe_batches = 2;
  plan.bench_seconds = 0.0005;
  std::vector<std::string> progress;
  const auto results =
      run_lab(plan, tiny_data(), [&](const std::string& s) { progress.push_back(s); });
  EXPECT_EQ(results.comparison.size(), 8u);
  EXPECT_EQ(results.dying_lr.size(), plan.dying_activations.size() * plan.dying_lrs.size());
  EXPECT_EQ(results.depth.size(), 3u);
  EXPECT_EQ(results.cost.size(), 8u);
  ASSERT_FALSE(progress.empty());
  EXPECT_NE(progress.back().find(fmt::format("/{}]", progress.size())), std::string::npos);

  const auto claims = judge_claims(results);
  EXPECT_GE(claims.size(), 12u);
  const auto dir = (fs::temp_directory_path() / "rectify_lab_test").string();
  fs::remove_all(dir);
  const auto files = write_report(results, claims, dir);
  const std::string md = read(files.markdown), html = read(files.html);
  for (const auto* section : {"## The seeds' claims", "## Activation comparison", "## Dying ReLU",
                              "## Depth and vanishing gradients", "## Cost", "## Properties"}) {
    EXPECT_NE(md.find(section), std::string::npos) << section;
  }
  for (const auto& c : claims) {
    EXPECT_FALSE(c.evidence.empty()) << c.statement;
    const std::string row = fmt::format("| {} | {} |", c.statement, verdict_name(c.verdict));
    EXPECT_NE(md.find(row), std::string::npos) << row;
    EXPECT_NE(html.find(verdict_name(c.verdict)), std::string::npos);
  }
  EXPECT_EQ(count(html, "<svg"), files.charts.size());
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // no other URL
  EXPECT_EQ(html.find("<script"), std::string::npos);
  for (const auto& chart : files.charts) {
    EXPECT_TRUE(fs::exists(chart));
    EXPECT_NE(md.find(fs::path(chart).filename().string()), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(files.markdown + ".tmp"));
  fs::remove_all(dir);
}

// A run of `activation` whose last epoch has the given dead fraction of 100 units and accuracy.
Run run_with(const std::string& activation, double lr, double bias, double dead, double acc) {
  train::EpochMetrics m{.epoch = 1, .test_acc = acc};
  m.layers.push_back({.layer = "fc1", .units = 100, .dead = static_cast<std::size_t>(dead * 100)});
  return Run{.activation = activation, .lr = lr, .hidden_bias = bias, .epochs = {m}};
}

const Claim& find_claim(const std::vector<Claim>& claims, const std::string& start) {
  for (const auto& c : claims) {
    if (c.statement.rfind(start, 0) == 0) return c;
  }
  throw std::runtime_error("no claim " + start);
}

TEST(Claims, DyingVerdictsFollowTheMeasurements) {
  LabResults r;
  r.plan = make_plan("quick");  // lrs 0.01 and 0.5, biases 0 and -3
  for (const auto* a : {"relu", "leaky_relu", "elu", "prelu"}) {
    const bool relu = std::string(a) == "relu";
    r.dying_lr.push_back(run_with(a, 0.01, 0, 0, 0.8));
    r.dying_lr.push_back(run_with(a, 0.5, 0, relu ? 0.3 : 0, 0.7));
    r.dying_bias.push_back(run_with(a, 0.01, 0, 0, 0.8));
    r.dying_bias.push_back(run_with(a, 0.01, -3, relu ? 0.2 : 0, 0.8));
  }
  auto claims = judge_claims(r);
  EXPECT_EQ(find_claim(claims, "ReLU units can die").verdict, Verdict::supported);
  EXPECT_EQ(find_claim(claims, "Dying is likelier with a high").verdict, Verdict::supported);
  EXPECT_EQ(find_claim(claims, "Dying is likelier with a large").verdict, Verdict::supported);
  EXPECT_EQ(find_claim(claims, "Leaky ReLU and ELU").verdict, Verdict::supported);

  // ELU units dead in a run that still learns: the claim fails. Only in a collapsed run: mixed.
  r.dying_lr[5] = run_with("elu", 0.5, 0, 0.4, 0.7);
  EXPECT_EQ(find_claim(judge_claims(r), "Leaky ReLU and ELU").verdict, Verdict::not_supported);
  r.dying_lr[5] = run_with("elu", 0.5, 0, 0.4, 0.1);
  EXPECT_EQ(find_claim(judge_claims(r), "Leaky ReLU and ELU").verdict, Verdict::mixed);

  // PReLU diverging where relu still learned: its record of no dead units proves less.
  r.dying_lr[5] = run_with("elu", 0.5, 0, 0, 0.7);
  EXPECT_EQ(find_claim(judge_claims(r), "Parametric ReLU").verdict, Verdict::supported);
  r.dying_lr[7].epochs.clear();
  r.dying_lr[7].diverged = true;
  EXPECT_EQ(find_claim(judge_claims(r), "Parametric ReLU").verdict, Verdict::mixed);
  EXPECT_NE(find_claim(judge_claims(r), "Parametric ReLU").evidence.find("prelu at lr 0.5"),
            std::string::npos);

  // No relu deaths at all: nothing died, and nothing was prevented.
  for (auto* runs : {&r.dying_lr, &r.dying_bias}) {
    for (auto& run : *runs) {
      if (!run.epochs.empty()) run.epochs.back().layers[0].dead = 0;
    }
  }
  claims = judge_claims(r);
  EXPECT_EQ(find_claim(claims, "ReLU units can die").verdict, Verdict::not_supported);
  EXPECT_EQ(find_claim(claims, "Dying is likelier with a high").verdict, Verdict::not_supported);
  EXPECT_EQ(find_claim(claims, "Leaky ReLU and ELU").verdict, Verdict::mixed);
}

TEST(Claims, MissingStudiesGiveMixedWithAReason) {
  LabResults r;
  r.plan = make_plan("quick");
  r.plan.dying_lrs = {0.1};
  for (const auto& c : judge_claims(r)) {
    // Claims measured from the definitions alone still get a verdict; the others say why not.
    if (c.study != "Properties") {
      EXPECT_EQ(c.verdict, Verdict::mixed) << c.statement;
      EXPECT_NE(c.evidence.find("not measured"), std::string::npos) << c.statement;
    }
  }
}

TEST(Summary, EpochsToTargetUseTheMeanCurveOverSeeds) {
  LabResults r;
  r.plan = make_plan("quick");
  r.plan.activations = {"relu", "tanh"};
  auto run = [](const std::string& a, std::vector<double> acc) {
    lab::Run out{.activation = a};
    for (std::size_t e = 0; e < acc.size(); ++e) {
      out.epochs.push_back({.epoch = static_cast<int>(e + 1), .test_acc = acc[e]});
    }
    return out;
  };
  r.comparison = {run("relu", {0.70, 0.80, 0.90}), run("relu", {0.72, 0.82, 0.92}),
                  run("tanh", {0.60, 0.70, 0.80}), run("tanh", {0.60, 0.70, 0.80})};
  const auto s = summarize(r);
  // Finals 0.91 and 0.80: the median is the larger of the two middle values, 0.91; target
  // floor(0.98 * 0.91 * 200) / 200 = 0.89.
  EXPECT_DOUBLE_EQ(s.target, 0.89);
  ASSERT_TRUE(s.find("relu")->epochs_to_target.has_value());
  EXPECT_EQ(*s.find("relu")->epochs_to_target, 3.0);
  EXPECT_FALSE(s.find("tanh")->epochs_to_target.has_value());
  EXPECT_DOUBLE_EQ(s.find("relu")->first_acc, 0.71);
}

}  // namespace
}  // namespace rectify::lab
