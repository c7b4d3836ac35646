// Run under mpirun (-np 2 and -np 3): the ranks' sums are taken in rank order and give the same
// bits on every rank; data-parallel training leaves every rank with the same parameters, the
// same from run to run and for any bucket size; the lab across ranks gives the results of one
// process. Every rank runs every test; a failure on any rank fails the launcher.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "rectify/data/dataset.hpp"
#include "rectify/dist/session.hpp"
#include "rectify/lab/across_ranks.hpp"
#include "rectify/train/trainer.hpp"

namespace rectify {
namespace {

train::Team* g_team = nullptr;

// Values that make the order of a sum matter: large terms that cancel, and small ones.
template <class T>
std::vector<T> values_of(int rank, std::size_t n) {
  std::mt19937_64 rng(1000 + static_cast<std::uint64_t>(rank));
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double scale = i % 3 == 0 ? 1e8 : i % 3 == 1 ? 1.0 : 1e-8;
    v[i] = static_cast<T>(u(rng) * scale);
  }
  return v;
}

// ((x_0 + x_1) + x_2) + ... in T: the documented order.
template <class T>
std::vector<T> rank_order_sum(std::size_t n, int ranks) {
  auto total = values_of<T>(0, n);
  for (int r = 1; r < ranks; ++r) {
    const auto x = values_of<T>(r, n);
    for (std::size_t i = 0; i < n; ++i) total[i] = total[i] + x[i];
  }
  return total;
}

template <class T>
void expect_same_bits(const std::vector<T>& got, const std::vector<T>& want, const char* what) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    ASSERT_EQ(std::bit_cast<Bits>(got[i]), std::bit_cast<Bits>(want[i]))
        << what << " element " << i << " of " << got.size() << " on rank " << g_team->rank() << ": "
        << got[i] << " against " << want[i];
  }
}

TEST(Team, HasSeveralRanks) {
  ASSERT_GE(g_team->size(), 2) << "run under mpirun -np 2 or more";
}

TEST(Team, SumsDoublesInRankOrder) {
  for (const std::size_t n : {0u, 1u, 3u, 100u}) {
    auto v = values_of<double>(g_team->rank(), n);
    g_team->sum(v);
    expect_same_bits(v, rank_order_sum<double>(n, g_team->size()), "double sum");
  }
}

TEST(Team, SumsFloatsInRankOrderForEveryLength) {
  // Lengths below, at and above the rank count (some ranks own an empty chunk), and large ones.
  for (const std::size_t n : {0u, 1u, 2u, 3u, 4u, 5u, 7u, 1000u, 100003u}) {
    const auto v = values_of<float>(g_team->rank(), n);
    std::vector<float> sums(n, -1.0f);
    g_team->start_sum(v, sums)->wait();
    expect_same_bits(sums, rank_order_sum<float>(n, g_team->size()), "float sum");
    expect_same_bits(v, values_of<float>(g_team->rank(), n), "values after the sum");
  }
}

TEST(Team, RefusesOverlappingOrMismatchedSumBuffers) {
  std::vector<float> v(10, 1.0f), sums(9);
  EXPECT_THROW(g_team->start_sum(v, sums), std::invalid_argument);
  EXPECT_THROW(g_team->start_sum(std::span(v).first(6), std::span(v).last(6)),
               std::invalid_argument);
  EXPECT_THROW(g_team->start_sum(v, v), std::invalid_argument);
  // Adjacent but apart is fine (every rank takes part, so nothing is left waiting).
  g_team->start_sum(std::span(v).first(5), std::span(v).last(5))->wait();
  for (const float x : std::span(v).last(5)) EXPECT_EQ(x, static_cast<float>(g_team->size()));
}

TEST(Team, SeveralSumsUnderWayAtOnceFinishInAnyOrder) {
  std::vector<std::vector<float>> buckets, sums;
  for (const std::size_t n : {10u, 70000u, 3u}) {
    buckets.push_back(values_of<float>(g_team->rank(), n));
    sums.emplace_back(n);
  }
  std::vector<std::unique_ptr<train::PendingSum>> pending;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    pending.push_back(g_team->start_sum(buckets[i], sums[i]));
  }
  for (auto& p : pending) p->test();
  for (std::size_t i = pending.size(); i-- > 0;) pending[i]->wait();
  expect_same_bits(sums[0], rank_order_sum<float>(10, g_team->size()), "bucket 0");
  expect_same_bits(sums[1], rank_order_sum<float>(70000, g_team->size()), "bucket 1");
  expect_same_bits(sums[2], rank_order_sum<float>(3, g_team->size()), "bucket 2");
}

TEST(Team, BroadcastsAndGathers) {
  std::vector<std::uint8_t> bytes(1000, static_cast<std::uint8_t>(g_team->rank() + 1));
  g_team->broadcast(bytes);
  for (const auto b : bytes) ASSERT_EQ(b, 1);
  std::vector<std::uint8_t> root;
  if (g_team->rank() == 0) root = {9, 8, 7};
  EXPECT_EQ(g_team->broadcast_from_root(root), (std::vector<std::uint8_t>{9, 8, 7}));
  const auto all = g_team->gather_to_root("rank " + std::to_string(g_team->rank()));
  if (g_team->rank() != 0) {
    EXPECT_TRUE(all.empty());
    return;
  }
  ASSERT_EQ(all.size(), static_cast<std::size_t>(g_team->size()));
  for (int r = 0; r < g_team->size(); ++r)
    EXPECT_EQ(all[static_cast<std::size_t>(r)], "rank " + std::to_string(r));
}

TEST(Team, SharesSplitABatchIntoContiguousPartsTheFirstRanksTakingTheRest) {
  EXPECT_EQ(train::share_of(10, 0, 3).begin, 0u);
  EXPECT_EQ(train::share_of(10, 0, 3).end, 4u);
  EXPECT_EQ(train::share_of(10, 1, 3).begin, 4u);
  EXPECT_EQ(train::share_of(10, 1, 3).end, 7u);
  EXPECT_EQ(train::share_of(10, 2, 3).end, 10u);
  EXPECT_EQ(train::share_of(2, 2, 3).size(), 0u);  // the last batch of an epoch may be short
}

data::FashionMnist small_data() {
  return data::first_training_images(data::load_fashion_mnist_sample(), 600);
}

train::TrainOptions options_for(const std::string& model) {
  train::TrainOptions o;
  o.model = model;
  o.epochs = 2;
  o.batch = 50;  // 600 images: 12 batches
  o.optimizer = model == "mlp" ? "adam" : "sgd";
  o.lr = model == "rnn" ? 0.01 : 0;
  o.max_grad_norm = model == "rnn" ? 1.0 : 0;
  return o;
}

// Every rank's digest of its parameters after each epoch, on rank 0 (others: empty).
std::vector<std::string> digests_on_root(const std::vector<train::EpochMetrics>& history) {
  std::string mine;
  for (const auto& m : history) mine += std::to_string(m.parameter_digest) + " ";
  return g_team->gather_to_root(mine);
}

TEST(DataParallel, EveryRankHoldsTheSameParametersRunAfterRunForAnyBucketSize) {
  const auto data = small_data();
  for (const std::string model : {"mlp", "cnn", "rnn"}) {
    SCOPED_TRACE(model);
    const auto o = options_for(model);
    const auto first = train::train(o, data, {}, {}, {}, *g_team, 0);
    const auto digests = digests_on_root(first);
    for (const auto& d : digests) EXPECT_EQ(d, digests.front()) << "a rank differs from rank 0";
    for (const std::size_t bucket : {std::size_t{4096}, std::size_t{1} << 20}) {
      const auto again = train::train(o, data, {}, {}, {}, *g_team, bucket);
      ASSERT_EQ(again.size(), first.size());
      for (std::size_t e = 0; e < first.size(); ++e) {
        EXPECT_EQ(again[e].parameter_digest, first[e].parameter_digest)
            << "bucket " << bucket << ", epoch " << e + 1;
        EXPECT_EQ(std::bit_cast<std::uint64_t>(again[e].train_loss),
                  std::bit_cast<std::uint64_t>(first[e].train_loss));
      }
    }
    // The same model as one process trains, up to the order of the gradient sums.
    const auto alone = train::train(o, data);
    for (std::size_t e = 0; e < first.size(); ++e) {
      EXPECT_NEAR(first[e].train_loss, alone[e].train_loss, 0.02 * alone[e].train_loss);
      EXPECT_NEAR(first[e].test_acc, alone[e].test_acc, 0.03);
      EXPECT_EQ(first[e].ranks, g_team->size());
      EXPECT_GT(first[e].comm_bytes_per_step, 0);
    }
  }
}

TEST(DataParallel, DiagnosticsCountAUnitDeadOnlyWhenDeadOnEveryRanksData) {
  // Biases of -50 kill every unit on every image: dead on every rank, so dead for the team.
  auto o = options_for("mlp");
  o.epochs = 1;
  o.hidden_bias = -50;
  const auto data = small_data();
  const auto dead = train::train(o, data, {}, {}, {}, *g_team, 0);
  ASSERT_EQ(dead.front().layers.size(), 1u);
  EXPECT_EQ(dead.front().layers[0].dead, dead.front().layers[0].units);
  // Every diagnostic equals the one process's (sums of the same numbers, in another order).
  o.hidden_bias = 0;
  const auto team = train::train(o, data, {}, {}, {}, *g_team, 0).front().layers[0];
  const auto alone = train::train(o, data).front().layers[0];
  EXPECT_EQ(team.dead, alone.dead);
  EXPECT_NEAR(team.sparsity, alone.sparsity, 1e-3);
  EXPECT_NEAR(team.mean, alone.mean, 1e-3 * std::abs(alone.mean) + 1e-6);
  EXPECT_NEAR(team.grad_norm, alone.grad_norm, 0.02 * alone.grad_norm);
}

TEST(DataParallel, ABatchSmallerThanTheRanksIsAClearError) {
  auto o = options_for("mlp");
  o.batch = static_cast<std::size_t>(g_team->size()) - 1;
  EXPECT_THROW(train::train(o, small_data(), {}, {}, {}, *g_team, 0), std::invalid_argument);
}

TEST(LabAcrossRanks, GivesTheResultsOfOneProcess) {
  auto plan = lab::make_plan("quick");
  plan.studies = lab::parse_studies("dying");
  const auto data = data::load_fashion_mnist_sample();
  const auto dir = std::filesystem::temp_directory_path() /
                   ("rectify_lab_ranks_" + std::to_string(g_team->rank()));
  std::filesystem::remove_all(dir);
  const auto across =
      lab::run_lab_across(plan, data, {}, lab::LabRunOptions{.records = dir / "runs"}, *g_team);
  if (g_team->rank() == 0) {
    const auto alone = lab::run_lab(plan, data);
    ASSERT_EQ(across.dying_lr.size(), alone.dying_lr.size());
    ASSERT_FALSE(alone.dying_lr.empty());
    for (std::size_t i = 0; i < alone.dying_lr.size(); ++i) {
      const auto& a = across.dying_lr[i];
      const auto& b = alone.dying_lr[i];
      EXPECT_EQ(a.activation, b.activation);
      EXPECT_EQ(a.lr, b.lr);
      ASSERT_EQ(a.epochs.size(), b.epochs.size());
      for (std::size_t e = 0; e < a.epochs.size(); ++e) {
        EXPECT_EQ(a.epochs[e].test_acc, b.epochs[e].test_acc);
        ASSERT_EQ(a.epochs[e].layers.size(), b.epochs[e].layers.size());
        EXPECT_EQ(a.epochs[e].layers[0].dead, b.epochs[e].layers[0].dead);
      }
    }
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rectify

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  rectify::dist::Session session(60);
  rectify::g_team = &session.team();
  return RUN_ALL_TESTS();
}
