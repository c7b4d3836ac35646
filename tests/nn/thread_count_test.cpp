// One pool, any thread count: OpenBLAS is the OpenMP build (its GEMMs share rectify's threads),
// the layers' GEMMs match a double reference however they are cut into blocks, and everything
// that splits work over the pool (GEMMs, convolutions, pooling, optimizers, the batch conversion,
// whole training steps) gives the same bits on one, two and three threads.
#include <cblas.h>
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "nn_support.hpp"
#include "rectify/act/parallel.hpp"
#include "rectify/data/batch.hpp"
#include "rectify/nn/conv2d.hpp"
#include "rectify/nn/gemm.hpp"
#include "rectify/nn/loss.hpp"
#include "rectify/nn/maxpool2d.hpp"
#include "rectify/rectify.hpp"
#include "rectify/train/models.hpp"
#include "rectify/train/optimizer.hpp"

namespace rectify::nn {
namespace {

using testing::random_tensor;
using testing::same_bits;

// Restores the default thread count when a test ends, whatever it set.
struct ThreadCountGuard {
  ~ThreadCountGuard() { set_num_threads(0); }
};

constexpr int kThreadCounts[] = {1, 2, 3};

TEST(OnePool, BlasIsOpenBlasOpenMPBuild) {
  // 2 is OPENBLAS_OPENMP in cblas.h; the pthread build (1) keeps a second pool of its own.
  EXPECT_EQ(openblas_get_parallel(), 2) << openblas_get_config();
}

TEST(OnePool, InsideAParallelRegionWorkStaysOnTheCallingThread) {
  ThreadCountGuard guard;
  set_num_threads(2);
  EXPECT_EQ(detail::threads_for(1 << 30, 1), 2u);
  std::size_t inside = 0;
#pragma omp parallel num_threads(2)
  {
#pragma omp single
    inside = detail::threads_for(1 << 30, 1);
  }
  EXPECT_EQ(inside, 1u);
}

TEST(OnePool, BacksOffAfterALateRegionAndComesBack) {
  detail::PoolHealth health;
  EXPECT_FALSE(health.backing_off());
  health.record(detail::PoolHealth::kLateNs - 1);  // prompt: nothing changes
  EXPECT_FALSE(health.backing_off());
  const auto skipped = [&health] {
    int n = 0;
    while (health.backing_off()) ++n;
    return n;
  };
  health.record(detail::PoolHealth::kLateNs);
  EXPECT_EQ(skipped(), detail::PoolHealth::kFirstSkipped);
  health.record(detail::PoolHealth::kLateNs);  // late again: four times as long
  EXPECT_EQ(skipped(), 4 * detail::PoolHealth::kFirstSkipped);
  for (int i = 0; i < 10; ++i) health.record(detail::PoolHealth::kLateNs);
  EXPECT_EQ(skipped(), detail::PoolHealth::kMaxSkipped);  // capped: one check in that many
  for (int i = 0; i < 20; ++i) health.record(0);          // the cores came back
  health.record(detail::PoolHealth::kLateNs);
  EXPECT_EQ(skipped(), detail::PoolHealth::kFirstSkipped);
}

struct ConvResult {
  Tensor y, dx, dweight, dbias;
  diag::LayerStats stats;  // the activation's probe, which sees the images' blocks
};

// A batch of 13 images (three chunks of four and one of one in backward) with enough work per
// layer call to be split over three threads.
ConvResult run_conv(int threads) {
  set_num_threads(threads);
  std::mt19937_64 rng(7);
  Conv2d conv("conv", 8, 32, 3, 1, 1, Activation::parse("leaky_relu:0.1"), rng);
  const Tensor x = random_tensor(Shape{13, 8, 16, 16}, 11);
  const Tensor dy = random_tensor(Shape{13, 32, 16, 16}, 12);
  ConvResult r;
  r.y = conv.forward(x, true);
  r.dx = conv.backward(dy);
  const auto params = conv.params();
  r.dweight = *params[0].grad;
  r.dbias = *params[1].grad;
  conv.probes()[0]->end_batch();
  r.stats = conv.probes()[0]->end_epoch();
  return r;
}

TEST(ThreadCount, Conv2dGivesTheSameBitsOnAnyThreadCount) {
  ThreadCountGuard guard;
  const ConvResult one = run_conv(1);
  for (const int threads : kThreadCounts) {
    const ConvResult r = run_conv(threads);
    EXPECT_TRUE(same_bits(r.y, one.y)) << threads << " threads: output";
    EXPECT_TRUE(same_bits(r.dx, one.dx)) << threads << " threads: input gradient";
    EXPECT_TRUE(same_bits(r.dweight, one.dweight)) << threads << " threads: weight gradient";
    EXPECT_TRUE(same_bits(r.dbias, one.dbias)) << threads << " threads: bias gradient";
    EXPECT_EQ(r.stats.dead, one.stats.dead) << threads << " threads";
    EXPECT_EQ(r.stats.sparsity, one.stats.sparsity) << threads << " threads";
    EXPECT_EQ(r.stats.mean, one.stats.mean) << threads << " threads";
    EXPECT_EQ(r.stats.stddev, one.stats.stddev) << threads << " threads";
    EXPECT_EQ(r.stats.grad_norm, one.stats.grad_norm) << threads << " threads";
  }
  EXPECT_GT(one.stats.grad_norm, 0.0);  // the probe saw the gradient
  EXPECT_GT(one.stats.stddev, 0.0);     // and the outputs
}

TEST(ThreadCount, Conv2dWeightGradientSumsEveryImageOnce) {
  // dW and db summed over the images in double: the chunked partial sums, split over three
  // threads, must cover every image exactly once (13 images: a last chunk of one).
  ThreadCountGuard guard;
  set_num_threads(3);
  constexpr std::size_t kB = 13, kC = 8, kO = 16, kH = 14, kK = 3, kOut = kH - kK + 1;
  std::mt19937_64 rng(3);
  Conv2d conv("conv", kC, kO, kK, 1, 0, std::nullopt, rng);
  const Tensor x = random_tensor(Shape{kB, kC, kH, kH}, 4);
  const Tensor dy = random_tensor(Shape{kB, kO, kOut, kOut}, 5);
  conv.forward(x, true);
  conv.backward(dy);
  const Tensor dweight = *conv.params()[0].grad, dbias = *conv.params()[1].grad;
  std::vector<double> want_w(dweight.size(), 0.0), want_b(dbias.size(), 0.0);
  for (std::size_t b = 0; b < kB; ++b) {
    for (std::size_t o = 0; o < kO; ++o) {
      for (std::size_t p = 0; p < kOut * kOut; ++p) {
        const double g = dy[(b * kO + o) * kOut * kOut + p];
        want_b[o] += g;
        for (std::size_t c = 0; c < kC; ++c) {
          for (std::size_t ki = 0; ki < kK; ++ki) {
            for (std::size_t kj = 0; kj < kK; ++kj) {
              const std::size_t iy = p / kOut + ki, ix = p % kOut + kj;
              want_w[((o * kC + c) * kK + ki) * kK + kj] +=
                  g * x[((b * kC + c) * kH + iy) * kH + ix];
            }
          }
        }
      }
    }
  }
  for (std::size_t i = 0; i < dweight.size(); ++i) {
    ASSERT_NEAR(dweight[i], want_w[i], 1e-4 * (1 + std::fabs(want_w[i]))) << "dW " << i;
  }
  for (std::size_t i = 0; i < dbias.size(); ++i) {
    ASSERT_NEAR(dbias[i], want_b[i], 1e-4 * (1 + std::fabs(want_b[i]))) << "db " << i;
  }
}

TEST(ThreadCount, MaxPoolGivesTheSameBitsOnAnyThreadCount) {
  ThreadCountGuard guard;
  const Tensor x = random_tensor(Shape{16, 32, 26, 26}, 21);
  const Tensor dy = random_tensor(Shape{16, 32, 13, 13}, 22);
  set_num_threads(1);
  MaxPool2d reference("pool", 2, 2);
  const Tensor y1 = reference.forward(x, true);
  const Tensor dx1 = reference.backward(dy);
  for (const int threads : kThreadCounts) {
    set_num_threads(threads);
    MaxPool2d pool("pool", 2, 2);
    EXPECT_TRUE(same_bits(pool.forward(x, true), y1)) << threads << " threads";
    EXPECT_TRUE(same_bits(pool.backward(dy), dx1)) << threads << " threads";
  }
}

// Three steps of an optimizer over a tensor of 100003 elements (four blocks, the last partial)
// and a small one; the parameters afterwards.
std::vector<Tensor> run_optimizer(train::Optimizer& opt, int threads, float poison = 0.0f) {
  set_num_threads(threads);
  Tensor big = random_tensor(Shape{100003}, 31), small = random_tensor(Shape{7}, 32);
  Tensor gbig = random_tensor(Shape{100003}, 33), gsmall = random_tensor(Shape{7}, 34);
  gbig[99999] += poison;
  const std::vector<Param> params{{"big", &big, &gbig}, {"small", &small, &gsmall}};
  for (int s = 0; s < 3; ++s) EXPECT_EQ(opt.step(params), poison == 0.0f);
  return {big, small};
}

TEST(ThreadCount, OptimizersGiveTheSameBitsAndSeeANaNInAnyBlock) {
  ThreadCountGuard guard;
  const auto make = [](int which) -> std::unique_ptr<train::Optimizer> {
    if (which == 0) return std::make_unique<train::Sgd>(train::SgdOptions{.momentum = 0.9});
    if (which == 1) {
      return std::make_unique<train::Sgd>(train::SgdOptions{.momentum = 0.9, .nesterov = true});
    }
    return std::make_unique<train::Adam>(train::AdamOptions{.weight_decay = 0.01});
  };
  for (int which = 0; which < 3; ++which) {
    auto reference = make(which);
    const auto expected = run_optimizer(*reference, 1);
    for (const int threads : kThreadCounts) {
      auto opt = make(which);
      const auto got = run_optimizer(*opt, threads);
      EXPECT_TRUE(same_bits(got[0], expected[0])) << "optimizer " << which << ", " << threads;
      EXPECT_TRUE(same_bits(got[1], expected[1])) << "optimizer " << which << ", " << threads;
      auto poisoned = make(which);
      run_optimizer(*poisoned, threads, std::numeric_limits<float>::quiet_NaN());
    }
  }
}

TEST(ThreadCount, BatchConversionFollowsTheFormulaOnAnyThreadCount) {
  ThreadCountGuard guard;
  data::Dataset d;
  d.count = 300;
  d.rows = d.cols = 28;
  d.images.resize(d.count * 784);
  d.labels.resize(d.count);
  for (std::size_t i = 0; i < d.images.size(); ++i) d.images[i] = static_cast<std::uint8_t>(i * 7);
  for (std::size_t i = 0; i < d.count; ++i) d.labels[i] = static_cast<std::uint8_t>(i % 10);
  const auto indices = data::shuffled_indices(d.count, 5);
  for (const int threads : kThreadCounts) {
    set_num_threads(threads);
    std::vector<float> x(indices.size() * 784);
    std::vector<std::int32_t> y(indices.size());
    data::fill_batch(d, indices, x, y);
    for (std::size_t b = 0; b < indices.size(); ++b) {
      ASSERT_EQ(y[b], d.labels[indices[b]]) << threads << " threads, image " << b;
      for (std::size_t p = 0; p < 784; ++p) {
        const float pixel = d.images[indices[b] * 784 + p];
        const float want = (pixel / 255.0f - data::kFashionMnistMean) / data::kFashionMnistStd;
        ASSERT_EQ(x[b * 784 + p], want) << threads << " threads, image " << b << ", pixel " << p;
      }
    }
  }
}

// op(A) op(B) in double, row-major with leading dimensions.
std::vector<double> reference_product(Trans ta, Trans tb, std::size_t m, std::size_t n,
                                      std::size_t k, const std::vector<float>& a, std::size_t lda,
                                      const std::vector<float>& b, std::size_t ldb) {
  std::vector<double> c(m * n, 0.0);
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      double sum = 0;
      for (std::size_t p = 0; p < k; ++p) {
        const double av = ta == Trans::yes ? a[p * lda + i] : a[i * lda + p];
        const double bv = tb == Trans::yes ? b[j * ldb + p] : b[p * ldb + j];
        sum += av * bv;
      }
      c[i * n + j] = sum;
    }
  }
  return c;
}

TEST(Gemm, BlocksMatchTheDoubleProductForEveryTransposeAndShape) {
  ThreadCountGuard guard;
  set_num_threads(2);
  std::mt19937_64 rng(41);
  std::normal_distribution<float> normal;
  // Tall, wide, one block, a partial last block, sizes of 1; leading dimensions past the size.
  const std::size_t shapes[][3] = {{64, 300, 130}, {300, 64, 70}, {1, 129, 3},
                                   {129, 1, 5},    {63, 65, 1},   {200, 200, 200}};
  for (const auto& [m, n, k] : shapes) {
    for (const Trans ta : {Trans::no, Trans::yes}) {
      for (const Trans tb : {Trans::no, Trans::yes}) {
        const std::size_t lda = (ta == Trans::yes ? m : k) + 3;
        const std::size_t ldb = (tb == Trans::yes ? k : n) + 2, ldc = n + 5;
        std::vector<float> a((ta == Trans::yes ? k : m) * lda), b((tb == Trans::yes ? n : k) * ldb);
        for (auto& v : a) v = normal(rng);
        for (auto& v : b) v = normal(rng);
        std::vector<float> c(m * ldc, 7.0f);  // beta = 0.5 keeps half of it
        gemm(ta, tb, m, n, k, 1.5f, a.data(), lda, b.data(), ldb, 0.5f, c.data(), ldc);
        const auto want = reference_product(ta, tb, m, n, k, a, lda, b, ldb);
        for (std::size_t i = 0; i < m; ++i) {
          for (std::size_t j = 0; j < ldc; ++j) {
            if (j >= n) {
              ASSERT_EQ(c[i * ldc + j], 7.0f) << "wrote past column " << n;
              continue;
            }
            const double expected = 1.5 * want[i * n + j] + 3.5;
            ASSERT_NEAR(c[i * ldc + j], expected,
                        1e-4 * (std::sqrt(double(k)) + std::fabs(expected)))
                << m << "x" << n << "x" << k << " ta " << (ta == Trans::yes) << " tb "
                << (tb == Trans::yes) << " at (" << i << ", " << j << ")";
          }
        }
      }
    }
  }
}

// beta 0 is met by zeroing C before OpenBLAS adds the product (faster than OpenBLAS's own
// beta 0): C's old contents, NaN included, must not show, and the columns past n must stay.
TEST(Gemm, BetaZeroIgnoresWhatCHeld) {
  std::mt19937_64 rng(43);
  std::normal_distribution<float> normal;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::size_t shapes[][3] = {{32, 676, 9}, {288, 121, 64}, {1, 1, 1}, {7, 3, 500}};
  for (const auto& [m, n, k] : shapes) {
    for (const Trans ta : {Trans::no, Trans::yes}) {
      const std::size_t lda = ta == Trans::yes ? m : k, ldb = n, ldc = n + 3;
      std::vector<float> a(m * k), b(k * n);
      for (auto& v : a) v = normal(rng);
      for (auto& v : b) v = normal(rng);
      std::vector<float> c(m * ldc, nan);
      for (std::size_t i = 0; i < m; ++i) std::fill_n(c.begin() + i * ldc + n, ldc - n, 7.0f);
      gemm_on_this_thread(ta, Trans::no, m, n, k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f,
                          c.data(), ldc);
      const auto want = reference_product(ta, Trans::no, m, n, k, a, lda, b, ldb);
      for (std::size_t i = 0; i < m; ++i) {
        for (std::size_t j = 0; j < ldc; ++j) {
          if (j >= n) {
            ASSERT_EQ(c[i * ldc + j], 7.0f) << "wrote past column " << n;
            continue;
          }
          ASSERT_NEAR(c[i * ldc + j], want[i * n + j], 1e-4 * (1 + std::sqrt(double(k))))
              << m << "x" << n << "x" << k << " ta " << (ta == Trans::yes) << " at (" << i << ", "
              << j << ")";
        }
      }
    }
  }
}

TEST(Gemm, SameBitsOnAnyThreadCountAndInsideAParallelRegion) {
  ThreadCountGuard guard;
  const std::size_t m = 64, n = 784, k = 128;
  const Tensor a = random_tensor(Shape{m, k}, 51), b = random_tensor(Shape{k, n}, 52);
  Tensor want(Shape{m, n});
  set_num_threads(1);
  gemm(Trans::no, Trans::no, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, want.data(), n);
  for (const int threads : kThreadCounts) {
    set_num_threads(threads);
    Tensor c(Shape{m, n});
    gemm(Trans::no, Trans::no, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
    EXPECT_TRUE(same_bits(c, want)) << threads << " threads";
  }
  Tensor inside(Shape{m, n});
#pragma omp parallel num_threads(2)
  {
#pragma omp single
    gemm(Trans::no, Trans::no, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, inside.data(), n);
  }
  EXPECT_TRUE(same_bits(inside, want)) << "called inside a parallel region";
}

// Two Adam steps of a model on a random batch; its parameters afterwards.
std::vector<Tensor> train_two_steps(const std::string& model_name, int threads) {
  set_num_threads(threads);
  std::mt19937_64 rng(61);
  nn::Sequential model = train::make_model(model_name, Activation::parse("relu"), rng);
  const std::size_t batch = 16;
  const Tensor x = random_tensor(train::model_input_shape(model_name, batch, 28, 28), 62);
  std::vector<std::int32_t> labels(batch);
  for (std::size_t i = 0; i < batch; ++i) labels[i] = static_cast<std::int32_t>(i % 10);
  train::Adam adam(train::AdamOptions{});
  Tensor dlogits;
  for (int step = 0; step < 2; ++step) {
    const Tensor& logits = model.forward(x, true);
    softmax_cross_entropy(logits, labels, &dlogits);
    model.backward(dlogits);
    EXPECT_TRUE(adam.step(model.params()));
  }
  std::vector<Tensor> out;
  for (const auto& p : model.params()) out.push_back(*p.value);
  return out;
}

TEST(ThreadCount, TrainingStepsGiveTheSameBitsOnAnyThreadCount) {
  ThreadCountGuard guard;
  for (const char* name : {"mlp", "cnn", "rnn"}) {
    const auto want = train_two_steps(name, 1);
    for (const int threads : kThreadCounts) {
      const auto got = train_two_steps(name, threads);
      ASSERT_EQ(got.size(), want.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_TRUE(same_bits(got[i], want[i]))
            << name << ", " << threads << " threads, tensor " << i;
      }
    }
  }
}

}  // namespace
}  // namespace rectify::nn
