// The lab's jobs and run records: the plan as jobs and shards, the key of a job, records that
// read back bit for bit, and the folder that keeps them (another key or data set under the same
// name is no record; a damaged file is an error naming it).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

#include "rectify/lab/jobs.hpp"
#include "rectify/lab/run_record.hpp"

namespace rectify::lab {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir()
      : path_(fs::temp_directory_path() / ("rectify_record_test_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

TEST(Jobs, ThePlanIsEveryStudyInOrderAndShardsSplitItExactly) {
  const auto plan = make_plan("quick");
  const auto jobs = plan_jobs(plan);
  const std::size_t expected =
      plan.activations.size() * plan.rates.size() * plan.seeds.size() +
      plan.dying_activations.size() * plan.dying_seeds.size() *
          (plan.dying_lrs.size() + plan.dying_biases.size()) +
      plan.depth_activations.size() +
      plan.init_activations.size() * plan.init_settings.size() * plan.dying_seeds.size() +
      plan.cnn_activations.size() * plan.dying_seeds.size() +
      plan.rnn_settings.size() * plan.dying_seeds.size() + plan.activations.size();
  ASSERT_EQ(jobs.size(), expected);
  EXPECT_EQ(jobs.front().study, Study::compare);
  EXPECT_EQ(jobs.back().study, Study::cost);
  std::set<std::string> configs;
  for (const auto& j : jobs) configs.insert(job_config(j));
  EXPECT_EQ(configs.size(), jobs.size()) << "two jobs share a key";
  double longest = 0;
  for (const auto& j : jobs) longest = std::max(longest, j.weight());
  for (const std::size_t shards : {1u, 2u, 3u, 7u, 100u}) {
    const auto shard_of = shard_assignment(jobs, shards);
    ASSERT_EQ(shard_of.size(), jobs.size());
    std::vector<double> load(shards, 0.0);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      ASSERT_GE(shard_of[i], 1u);
      ASSERT_LE(shard_of[i], shards);
      load[shard_of[i] - 1] += jobs[i].weight();
    }
    // Longest first to the least loaded: the shards end within one longest job of each other.
    const auto [least, most] = std::minmax_element(load.begin(), load.end());
    if (shards < jobs.size()) {
      EXPECT_LE(*most - *least, longest + 1e-9) << shards << " shards";
    }
    EXPECT_EQ(shard_assignment(jobs, shards), shard_of) << "not the same on a second call";
  }
  auto only_depth = plan;
  only_depth.studies = parse_studies("depth");
  EXPECT_EQ(plan_jobs(only_depth).size(), plan.depth_activations.size());
}

TEST(Jobs, TheKeyChangesWithEveryOptionThatChangesTheResult) {
  Job base{.study = Study::compare};
  base.options.activation = "leaky_relu";
  const auto key = job_config(base);
  auto same = base;
  same.options.activation = "leaky_relu:negative_slope=0.01";  // the default, spelled out
  same.options.save = "elsewhere.safetensors";                 // where, not what
  EXPECT_EQ(job_config(same), key);
  std::vector<Job> changed(11, base);
  changed[0].options.seed = 2;
  changed[1].options.lr = 0.02;
  changed[2].options.hidden_bias = -1;
  changed[3].options.epochs = 3;
  changed[4].options.activation = "leaky_relu:0.2";
  changed[5].threads = 2;
  changed[6].study = Study::dying_lr;
  changed[7].options.batch = 32;
  changed[8].options.momentum = 0.5;
  changed[9].options.optimizer = "sgd";  // the default is adam
  changed[10].validation = 0.25;
  for (const auto& j : changed) EXPECT_NE(job_config(j), key) << job_config(j);
}

TEST(Jobs, StudiesParseAndRefuseUnknownNames) {
  EXPECT_EQ(parse_studies("compare,dying,depth,init,cnn,rnn,cost"), StudySet{});
  const auto s = parse_studies("dying");
  EXPECT_TRUE(s.dying);
  EXPECT_FALSE(s.compare || s.depth || s.init || s.cnn || s.rnn || s.cost);
  EXPECT_EQ(to_string(parse_studies("cost,compare")), "compare,cost");
  for (const char* bad : {"", "compare,", "dead", "compare,,dying", "Compare"}) {
    EXPECT_THROW(parse_studies(bad), std::invalid_argument) << bad;
  }
}

RunRecord sample_record() {
  RunRecord r{.config = R"({"study":"compare","seed":1})",
              .data = {.source = "sample", .train_count = 3, .test_count = 2, .crc32 = 0xdeadbeef},
              .simd_target = "AVX2"};
  train::EpochMetrics m{.epoch = 1,
                        .train_loss = 0.1 + 0.2,  // not a short decimal
                        .train_acc = 1.0 / 3,
                        .test_loss = std::numeric_limits<double>::infinity(),
                        .test_acc = std::numeric_limits<double>::quiet_NaN(),
                        .seconds = 1e-300};
  m.layers.push_back({.layer = "fc1",
                      .units = 128,
                      .dead = 7,
                      .died = 2,
                      .revived = 1,
                      .sparsity = 0.5,
                      .mean = -0.0,
                      .stddev = 5e-324,
                      .grad_norm = 1e300});
  r.result.epochs = {m, m};
  r.result.epochs[1].epoch = 2;
  r.result.diverged = true;
  r.result.error = "loss is \"nan\"\nat batch 3";
  r.result.at_init = m.layers;
  r.result.forward_ns = -std::numeric_limits<double>::infinity();
  r.result.backward_ns = 0.123456789012345678;
  r.result.histogram_start = {0.25, 0.5, 0.25};
  r.result.histogram_end = {0.1, 0.2, 0.7};
  r.result.seconds = 2.5;
  return r;
}

void expect_same_bits(double a, double b, const char* what) {
  if (std::isnan(a)) {
    EXPECT_TRUE(std::isnan(b)) << what;
  } else {
    EXPECT_EQ(std::bit_cast<std::uint64_t>(a), std::bit_cast<std::uint64_t>(b)) << what;
  }
}

TEST(RunRecord, ReadsBackBitForBitNonFiniteValuesIncluded) {
  const auto r = sample_record();
  const auto back = parse_record(to_json(r), "test");
  EXPECT_EQ(back.config, r.config);
  EXPECT_EQ(back.data.source, "sample");
  EXPECT_TRUE(back.data.same_data(r.data));
  EXPECT_EQ(back.simd_target, "AVX2");
  ASSERT_EQ(back.result.epochs.size(), 2u);
  const auto &m = r.result.epochs[0], &b = back.result.epochs[0];
  expect_same_bits(b.train_loss, m.train_loss, "train_loss");
  expect_same_bits(b.train_acc, m.train_acc, "train_acc");
  expect_same_bits(b.test_loss, m.test_loss, "test_loss (inf)");
  expect_same_bits(b.test_acc, m.test_acc, "test_acc (nan)");
  expect_same_bits(b.seconds, m.seconds, "seconds");
  ASSERT_EQ(b.layers.size(), 1u);
  EXPECT_EQ(b.layers[0].dead, 7u);
  EXPECT_EQ(b.layers[0].died, 2u);
  expect_same_bits(b.layers[0].mean, -0.0, "mean (-0)");
  expect_same_bits(b.layers[0].stddev, 5e-324, "std (denormal)");
  expect_same_bits(b.layers[0].grad_norm, 1e300, "grad_norm");
  EXPECT_EQ(back.result.epochs[1].epoch, 2);
  EXPECT_TRUE(back.result.diverged);
  EXPECT_EQ(back.result.error, r.result.error);
  ASSERT_EQ(back.result.at_init.size(), 1u);
  EXPECT_EQ(back.result.at_init[0].layer, "fc1");
  expect_same_bits(back.result.forward_ns, r.result.forward_ns, "forward_ns (-inf)");
  expect_same_bits(back.result.backward_ns, r.result.backward_ns, "backward_ns");
  EXPECT_EQ(back.result.histogram_start, r.result.histogram_start);
  EXPECT_EQ(back.result.histogram_end, r.result.histogram_end);
  EXPECT_EQ(to_json(back), to_json(r));
}

TEST(RunRecord, DamagedTextIsAnErrorNamingTheFile) {
  const auto good = to_json(sample_record());
  const std::vector<std::string> bad = {
      "",
      good.substr(0, good.size() / 2),
      "[]",
      R"({"format":"rectify-lab-run-0"})",
      std::string(good).replace(good.find("\"crc32\""), 7, "\"crc\""),
      std::string(good).replace(good.find("\"diverged\": true"), 16, "\"diverged\": 1"),
      std::string(good).replace(good.find("\"train\": 3"), 10, "\"train\": -3"),
      std::string(good).replace(good.find("\"forward_ns\": \"-inf\""), 20,
                                "\"forward_ns\": \"big\""),
  };
  for (const auto& text : bad) {
    try {
      parse_record(text, "runs/x.json");
      ADD_FAILURE() << "accepted: " << text.substr(0, 80);
    } catch (const RecordError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("runs/x.json: ", 0), 0u) << e.what();
    }
  }
}

TEST(RunRecord, FileNamesAreFnv1aOfTheKey) {
  // Published FNV-1a 64-bit test vectors (Fowler, Noll, Vo).
  EXPECT_EQ(record_path("d", ""), fs::path("d") / "cbf29ce484222325.json");
  EXPECT_EQ(record_path("d", "a"), fs::path("d") / "af63dc4c8601ec8c.json");
  EXPECT_EQ(record_path("d", "foobar"), fs::path("d") / "85944171f73967e8.json");
}

TEST(RunFolder, FindsOnlyItsOwnKeyAndDataAndStoresAtomically) {
  const TempDir tmp;
  const RunFolder folder(tmp.path() / "runs");
  auto r = sample_record();
  EXPECT_FALSE(folder.find(r.config, &r.data));  // no folder yet
  folder.store(r);
  ASSERT_TRUE(folder.find(r.config, &r.data));
  EXPECT_TRUE(folder.find(r.config, nullptr));
  auto other_data = r.data;
  other_data.crc32 ^= 1;
  EXPECT_FALSE(folder.find(r.config, &other_data));
  // Another key's record under this key's name (a hash collision) is not this job's.
  auto other = r;
  other.config = R"({"study":"compare","seed":2})";
  write(record_path(folder.dir(), r.config), to_json(other));
  EXPECT_FALSE(folder.find(r.config, &r.data));
  // Nothing but the records themselves is left in the folder.
  folder.store(r);
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(folder.dir())) {
    ++files;
    EXPECT_EQ(e.path().extension(), ".json") << e.path();
  }
  EXPECT_EQ(files, 1u);
}

TEST(RunFolder, ADamagedOrStrangeFileIsAnErrorNotARecord) {
  const TempDir tmp;
  const RunFolder folder(tmp.path());
  const auto r = sample_record();
  write(record_path(folder.dir(), r.config), "{\"format\": \"rectify-lab-run-1\", \"con");
  EXPECT_THROW(folder.find(r.config, &r.data), RecordError);
  fs::remove(record_path(folder.dir(), r.config));
  fs::create_directory(record_path(folder.dir(), r.config));
  EXPECT_THROW(folder.find(r.config, &r.data), RecordError);
  EXPECT_THROW(folder.store(r), std::runtime_error);  // a directory is never replaced
  EXPECT_TRUE(fs::is_directory(record_path(folder.dir(), r.config)));
}

TEST(DataIdentity, DependsOnTheContentOnly) {
  data::FashionMnist a;
  a.train = {.images = {1, 2, 3, 4}, .labels = {1}, .count = 1, .rows = 2, .cols = 2};
  a.test = {.images = {5, 6, 7, 8}, .labels = {2}, .count = 1, .rows = 2, .cols = 2};
  a.source = "/here";
  auto b = a;
  b.source = "/there";
  EXPECT_TRUE(identify(a).same_data(identify(b)));
  b.test.images[3] = 9;
  EXPECT_FALSE(identify(a).same_data(identify(b)));
  b = a;
  b.train.labels[0] = 2;
  EXPECT_FALSE(identify(a).same_data(identify(b)));
}

}  // namespace
}  // namespace rectify::lab
