// The lab end to end on a tiny run (every section, a verdict for every claim, charts inline in
// the HTML and as files for the Markdown), and the verdict rules on constructed results.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rectify/data/dataset.hpp"
#include "rectify/lab/claims.hpp"
#include "rectify/lab/jobs.hpp"
#include "rectify/lab/report.hpp"
#include "rectify/lab/stats.hpp"
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
  plan.rates = {{"sgd", 0.01}, {"adam", 0.001}};
  plan.dying_seeds = {1, 2};
  plan.epochs = 2;
  plan.dying_epochs = 2;
  plan.depth_activations = {"relu", "tanh", "sigmoid"};
  plan.depth_probe_batches = 2;
  plan.bench_seconds = 0.0005;
  std::vector<std::string> progress;
  const auto results =
      run_lab(plan, tiny_data(), [&](const std::string& s) { progress.push_back(s); });
  EXPECT_EQ(results.comparison.size(), 8u * 2);
  EXPECT_EQ(results.dying_lr.size(), plan.dying_activations.size() * plan.dying_lrs.size() * 2);
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

// A small plan of every training study (no cost: its times differ from run to run).
LabPlan small_plan() {
  auto plan = make_plan("quick");
  plan.activations = {"relu", "elu", "tanh"};
  plan.seeds = {1, 2};
  plan.rates = {{"sgd", 0.01}, {"adam", 0.001}};
  plan.dying_seeds = {1, 2};
  plan.epochs = 2;
  plan.dying_activations = {"relu", "leaky_relu"};
  plan.dying_epochs = 1;
  plan.depth_activations = {"relu", "sigmoid"};
  plan.depth_epochs = 1;
  plan.depth_probe_batches = 2;
  plan.studies.cost = false;
  return plan;
}

// The report without its times (the Timing and Cost sections, last).
std::string untimed_report(const LabResults& r, const fs::path& dir) {
  const auto files = write_report(r, judge_claims(r), dir.string());
  const std::string md = read(files.markdown);
  return md.substr(0, md.find("## Timing"));
}

TEST(Lab, ShardsMergedWriteTheReportOfOneRunAndASecondRunReusesEverything) {
  const auto plan = small_plan();
  const auto data = tiny_data();
  const auto dir = fs::temp_directory_path() / "rectify_lab_shards_test";
  fs::remove_all(dir);
  const auto whole = run_lab(plan, data, {}, {.records = dir / "whole" / "runs"});
  EXPECT_EQ(whole.reused, 0u);
  ASSERT_EQ(whole.comparison.size(), 3u * 2 * 2);
  const std::string expected = untimed_report(whole, dir / "whole");
  EXPECT_NE(expected.find("## Dying ReLU"), std::string::npos);

  // Three shards, in any order, into three folders; then a merge.
  std::size_t runs = 0;
  for (const std::size_t shard : {3u, 1u, 2u}) {
    runs += run_lab(plan, data, {},
                    {.records = dir / fmt::format("s{}", shard), .shard = shard, .shards = 3})
                .runs;
  }
  EXPECT_EQ(runs, plan_jobs(plan).size());
  const auto merged =
      merge_lab(plan, {dir / "s1", dir / "s2", dir / "s3"}, dir / "merged" / "runs");
  EXPECT_EQ(untimed_report(merged, dir / "merged"), expected);

  // A merge with a shard missing names what is missing and where it belongs.
  try {
    merge_lab(plan, {dir / "s1", dir / "s3"}, {});
    ADD_FAILURE() << "merged without shard 2";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("are in none of the folders"), std::string::npos)
        << e.what();
  }

  EXPECT_THROW(merge_lab(plan, {}, {}), std::invalid_argument);

  // Everything again into the merged folder: nothing is run, the report is the same.
  const auto again = run_lab(plan, data, {}, {.records = dir / "merged" / "runs"});
  EXPECT_EQ(again.reused, again.runs);
  EXPECT_EQ(untimed_report(again, dir / "again"), expected);

  // Other data: nothing of the folder is reused.
  auto other = data;
  other.train.labels[0] = static_cast<std::uint8_t>((other.train.labels[0] + 1) % 10);
  auto one = plan;
  one.studies = parse_studies("depth");
  EXPECT_EQ(run_lab(one, other, {}, {.records = dir / "whole" / "runs"}).reused, 0u);
  fs::remove_all(dir);
}

TEST(Lab, AnInterruptedLabKeepsItsFinishedRunsAndResumesWithoutRerunningThem) {
  const auto plan = small_plan();
  const auto data = tiny_data();
  const auto dir = fs::temp_directory_path() / "rectify_lab_resume_test";
  fs::remove_all(dir);
  // Stop during the fifth run (the stop request is asked after every batch).
  std::size_t finished = 0, asked = 0;
  std::vector<std::string> progress;
  LabRunOptions options{.records = dir / "runs"};
  options.stop = [&] { return progress.size() >= 4 && ++asked > 3; };
  try {
    run_lab(
        plan, data, [&](const std::string& s) { progress.push_back(s); }, options);
    ADD_FAILURE() << "not interrupted";
  } catch (const LabInterrupted& e) {
    finished = e.finished;
    EXPECT_EQ(e.total, plan_jobs(plan).size());
  }
  EXPECT_EQ(finished, 4u);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir / "runs")) ++files;
  EXPECT_EQ(files, 4u);  // the finished runs, and nothing half-written

  progress.clear();
  options.stop = {};
  const auto resumed = run_lab(
      plan, data, [&](const std::string& s) { progress.push_back(s); }, options);
  EXPECT_EQ(resumed.reused, 4u);
  for (std::size_t i = 0; i < progress.size(); ++i) {
    EXPECT_EQ(progress[i].find("(reused)") != std::string::npos, i < 4) << progress[i];
  }
  const auto fresh = run_lab(plan, data, {}, {.records = dir / "fresh"});
  EXPECT_EQ(untimed_report(resumed, dir / "a"), untimed_report(fresh, dir / "b"));
  fs::remove_all(dir);
}

// A run of `activation` whose last epoch has the given dead fraction of 100 units and accuracy.
Run run_with(const std::string& activation, double lr, double bias, double dead, double acc,
             std::uint64_t seed = 1) {
  train::EpochMetrics m{.epoch = 1, .test_acc = acc};
  m.layers.push_back({.layer = "fc1", .units = 100, .dead = static_cast<std::size_t>(dead * 100)});
  return Run{.activation = activation, .seed = seed, .lr = lr, .hidden_bias = bias, .epochs = {m}};
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
  // Runs 0-3 of each list are seed 1 (relu, leaky_relu, elu, prelu); the other seeds follow.
  for (const auto seed : r.plan.dying_seeds) {
    for (const auto* a : {"relu", "leaky_relu", "elu", "prelu"}) {
      const bool relu = std::string(a) == "relu";
      const double more = 0.01 * static_cast<double>(seed);  // not tied across seeds
      r.dying_lr.push_back(run_with(a, 0.01, 0, 0, 0.8, seed));
      r.dying_lr.push_back(run_with(a, 0.5, 0, relu ? 0.3 + more : 0, 0.7, seed));
      r.dying_bias.push_back(run_with(a, 0.01, 0, 0, 0.8, seed));
      r.dying_bias.push_back(run_with(a, 0.01, -3, relu ? 0.2 + more : 0, 0.8, seed));
    }
  }
  auto claims = judge_claims(r);
  EXPECT_EQ(find_claim(claims, "ReLU units can die").verdict, Verdict::supported);
  EXPECT_EQ(find_claim(claims, "Dying is likelier with a high").verdict, Verdict::supported);
  EXPECT_EQ(find_claim(claims, "Dying is likelier with a large").verdict, Verdict::supported);
  EXPECT_EQ(find_claim(claims, "Leaky ReLU and ELU").verdict, Verdict::supported);
  EXPECT_NE(find_claim(claims, "Dying is likelier with a high").evidence.find("5 of 5 seeds above"),
            std::string::npos)
      << find_claim(claims, "Dying is likelier with a high").evidence;

  // One seed the other way: the sign test (4 of 5, p = 0.19) cannot decide.
  auto one_off = r;
  one_off.dying_lr[1].epochs.back().layers[0].dead = 0;  // relu, lr 0.5, seed 1
  one_off.dying_lr[0].epochs.back().layers[0].dead = 10;
  EXPECT_EQ(find_claim(judge_claims(one_off), "Dying is likelier with a high").verdict,
            Verdict::mixed);

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

// A comparison run: test accuracy per epoch, validation accuracy last.
Run compare_run(const std::string& a, const RateSetting& at, std::uint64_t seed,
                std::vector<double> acc, double val = NAN) {
  Run out{.activation = a, .seed = seed, .optimizer = at.optimizer, .lr = at.lr};
  for (std::size_t e = 0; e < acc.size(); ++e) {
    out.epochs.push_back({.epoch = static_cast<int>(e + 1), .test_acc = acc[e]});
  }
  out.epochs.back().val_acc = val;
  return out;
}

TEST(Summary, MediansOverSeedsAndEpochsToTargetFromTheMedianCurve) {
  LabResults r;
  r.plan = make_plan("quick");
  r.plan.activations = {"relu", "tanh"};
  const RateSetting shared{"sgd", 0.01};
  r.comparison = {compare_run("relu", shared, 1, {0.70, 0.80, 0.90}),
                  compare_run("relu", shared, 2, {0.72, 0.82, 0.92}),
                  compare_run("relu", shared, 3, {0.10, 0.20, 0.30}),
                  compare_run("tanh", shared, 1, {0.60, 0.70, 0.80}),
                  compare_run("tanh", shared, 2, {0.60, 0.70, 0.80})};
  const auto s = summarize(r);
  const auto* relu = s.shared("relu");
  ASSERT_NE(relu, nullptr);
  EXPECT_DOUBLE_EQ(relu->final_acc.median, 0.90);  // of 0.30, 0.90, 0.92
  EXPECT_DOUBLE_EQ(relu->final_acc.low, 0.30);
  EXPECT_DOUBLE_EQ(relu->final_acc.high, 0.92);
  EXPECT_DOUBLE_EQ(relu->first_acc, 0.70);
  EXPECT_EQ(relu->final_acc.count, 3u);
  EXPECT_TRUE(std::isnan(relu->seeds.final_acc[3]));  // seeds 4 and 5 did not run
  // Medians 0.90 (relu) and 0.80 (tanh): their median 0.85, target floor(0.98 * 0.85 * 200) /
  // 200 = 0.83; relu's median curve 0.70, 0.80, 0.90 reaches it at epoch 3.
  EXPECT_DOUBLE_EQ(s.target, 0.83);
  ASSERT_TRUE(relu->epochs_to_target.has_value());
  EXPECT_EQ(*relu->epochs_to_target, 3.0);
  EXPECT_FALSE(s.shared("tanh")->epochs_to_target.has_value());
}

TEST(Summary, TheBestRateIsChosenOnValidationAndADivergedRunCountsAsChance) {
  LabResults r;
  r.plan = make_plan("quick");  // sgd 0.01, sgd 0.1, adam 0.001
  r.plan.activations = {"relu"};
  for (const std::uint64_t seed : {1, 2, 3}) {
    // sgd 0.1 validates better but tests worse: the choice follows validation, never test.
    r.comparison.push_back(compare_run("relu", {"sgd", 0.01}, seed, {0.85}, 0.80));
    r.comparison.push_back(compare_run("relu", {"sgd", 0.1}, seed, {0.80}, 0.82));
    r.comparison.push_back(compare_run("relu", {"adam", 0.001}, seed, {0.86}, 0.84));
  }
  r.comparison[1].diverged = true;  // sgd 0.1, seed 1: counts as chance accuracy
  auto s = summarize(r);
  ASSERT_NE(s.best("relu", "sgd"), nullptr);
  EXPECT_EQ(s.best("relu", "sgd")->setting.lr, 0.1);  // median of 0.1, 0.82, 0.82
  EXPECT_DOUBLE_EQ(s.best("relu", "sgd")->seeds.final_acc[0], kChanceAccuracy);
  EXPECT_EQ(s.best("relu", "adam")->setting.lr, 0.001);
  EXPECT_EQ(s.optimizers, (std::vector<std::string>{"sgd", "adam"}));
  // Two seeds diverged at 0.1: its median validation accuracy falls to chance, 0.01 wins.
  r.comparison[4].diverged = true;
  s = summarize(r);
  EXPECT_EQ(s.best("relu", "sgd")->setting.lr, 0.01);
}

// relu, tanh and sigmoid at every setting of the quick plan; relu's accuracy after the first
// epoch `lead` points above the others on each seed.
LabResults paired_results(const std::vector<double>& lead) {
  LabResults r;
  r.plan = make_plan("quick");
  r.plan.activations = {"relu", "tanh", "sigmoid"};
  for (const auto& rate : r.plan.rates) {
    for (std::size_t i = 0; i < r.plan.seeds.size(); ++i) {
      const double base = 0.7 + 0.01 * static_cast<double>(i);
      for (const auto* a : {"relu", "tanh", "sigmoid"}) {
        const double first = std::string(a) == "relu" ? base + lead[i] : base;
        r.comparison.push_back(compare_run(a, rate, r.plan.seeds[i], {first, 0.85}, 0.8));
      }
    }
  }
  return r;
}

TEST(Claims, ComparisonVerdictsRestOnPairedSignTests) {
  const std::string claim = "ReLU converges faster";
  auto c = find_claim(judge_claims(paired_results({0.02, 0.01, 0.03, 0.02, 0.01})), claim);
  EXPECT_EQ(c.verdict, Verdict::supported) << c.evidence;
  EXPECT_NE(c.evidence.find("5 of 5 seeds above (sign test p = 0.031)"), std::string::npos)
      << c.evidence;
  EXPECT_NE(c.evidence.find("adam"), std::string::npos) << "every optimizer is tested";
  // Ahead on four seeds of five: p = 6/32, not decided.
  c = find_claim(judge_claims(paired_results({0.02, 0.01, -0.03, 0.02, 0.01})), claim);
  EXPECT_EQ(c.verdict, Verdict::mixed) << c.evidence;
  c = find_claim(judge_claims(paired_results({-0.02, -0.01, -0.03, -0.02, -0.01})), claim);
  EXPECT_EQ(c.verdict, Verdict::not_supported) << c.evidence;
}

TEST(Stats, SignTestBootstrapAndSpreadAgainstHandComputedValues) {
  EXPECT_DOUBLE_EQ(sign_test_p(5, 5), 1.0 / 32);
  EXPECT_DOUBLE_EQ(sign_test_p(4, 5), 6.0 / 32);
  EXPECT_DOUBLE_EQ(sign_test_p(0, 5), 1.0);
  EXPECT_DOUBLE_EQ(sign_test_p(0, 0), 1.0);
  EXPECT_NEAR(sign_test_p(15, 20), 0.020694732666015625, 1e-15);  // 21700 / 2^20
  const auto s = spread({0.3, NAN, 0.1, 0.2, INFINITY, 0.4});
  EXPECT_DOUBLE_EQ(s.median, 0.25);
  EXPECT_DOUBLE_EQ(s.low, 0.1);
  EXPECT_DOUBLE_EQ(s.high, 0.4);
  EXPECT_EQ(s.count, 4u);
  EXPECT_TRUE(std::isnan(spread({NAN}).median));

  const auto t = paired_test({1, 2, 3, 4, NAN, 6}, {0, 0, 4, 1, 5, 6});
  EXPECT_EQ(t.pairs, 5u);  // the NaN pair is left out
  EXPECT_EQ(t.above, 3u);
  EXPECT_EQ(t.below, 1u);  // and the tie (6, 6) counts in neither
  EXPECT_DOUBLE_EQ(t.mean_difference, (1 + 2 - 1 + 3 + 0) / 5.0);
  EXPECT_LE(t.ci_low, t.mean_difference);
  EXPECT_GE(t.ci_high, t.mean_difference);
  EXPECT_GE(t.ci_low, -1.0);  // a resampled mean lies within the differences' range
  EXPECT_LE(t.ci_high, 3.0);
  EXPECT_DOUBLE_EQ(t.p_above, sign_test_p(3, 4));
  const auto again = paired_test({1, 2, 3, 4, NAN, 6}, {0, 0, 4, 1, 5, 6});
  EXPECT_EQ(again.ci_low, t.ci_low);  // a fixed seed: the same interval every time
  EXPECT_EQ(direction(t), 0);
  EXPECT_EQ(direction(paired_test({2, 3, 4, 5, 6}, {1, 1, 1, 1, 1})), 1);
  EXPECT_EQ(direction(paired_test({1, 1, 1, 1, 1}, {2, 3, 4, 5, 6})), -1);
}

}  // namespace
}  // namespace rectify::lab
