// The machine's limit for a training step: OpenBLAS's sgemm throughput on exactly the GEMMs one
// step of a model runs (forward and backward, batch 64), shape by shape and combined. The
// combined rate is the step's GEMM FLOPs over the time those GEMMs take at the measured rates,
// so a whole step can be compared with it (bench/train_compare does).
//
// Usage: sgemm_shapes [--model mlp|cnn|rnn]... [--threads N] [--min-time-ms T] [--json]
#include <cblas.h>
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr int kBatch = 64;  // the batch both sides of bench/train_compare train with

// One cblas_sgemm call of the step, row-major, as the layer makes it.
struct Gemm {
  const char* what;
  bool trans_a, trans_b;
  int m, n, k;
  int per_step;  // calls per step (convolutions run one per image)
  float beta;    // 1 where the layer accumulates into C (or onto the bias)
  double flops() const { return 2.0 * m * n * k * per_step; }
};

// The GEMMs of one step, read off the layers (src/rectify/nn): Linear forward x W^T, backward
// dz^T x and dz W (none for a model's first layer, whose input needs no gradient); Conv2d per
// image W cols, dz cols^T (accumulated) and W^T dz; the RNN's input projection for all steps at
// once, then one recurrent GEMM per step each way, and the weight gradients over all steps.
std::vector<Gemm> step_gemms(std::string_view model) {
  const int b = kBatch;
  const auto linear = [b](const char* fwd, const char* dw, const char* dx, int in, int out) {
    return std::vector<Gemm>{{fwd, false, true, b, out, in, 1, 0.0f},
                             {dw, true, false, out, in, b, 1, 0.0f},
                             {dx, false, false, b, in, out, 1, 0.0f}};
  };
  std::vector<Gemm> g;
  const auto add = [&g](const std::vector<Gemm>& more) {
    g.insert(g.end(), more.begin(), more.end());
  };
  if (model == "mlp") {
    add({{"fc1 forward x W^T", false, true, b, 128, 784, 1, 0.0f},
         {"fc1 dW = dz^T x", true, false, 128, 784, b, 1, 0.0f}});
    add(linear("fc2 forward x W^T", "fc2 dW = dz^T x", "fc2 dx = dz W", 128, 10));
  } else if (model == "cnn") {
    add({{"conv1 forward b + W cols", false, false, 32, 26 * 26, 9, b, 1.0f},
         {"conv1 dW += dz cols^T", false, true, 32, 9, 26 * 26, b, 1.0f},
         {"conv2 forward b + W cols", false, false, 64, 11 * 11, 288, b, 1.0f},
         {"conv2 dW += dz cols^T", false, true, 64, 288, 11 * 11, b, 1.0f},
         {"conv2 dcols = W^T dz", true, false, 288, 11 * 11, 64, b, 0.0f}});
    add(linear("fc1 forward x W^T", "fc1 dW = dz^T x", "fc1 dx = dz W", 1600, 128));
    add(linear("fc2 forward x W^T", "fc2 dW = dz^T x", "fc2 dx = dz W", 128, 10));
  } else if (model == "rnn") {
    constexpr int steps = 28, hidden = 128, input = 28;
    add({{"rnn forward x W_ih^T", false, true, b * steps, hidden, input, 1, 0.0f},
         {"rnn forward z += h W_hh^T", false, true, b, hidden, hidden, steps - 1, 1.0f},
         {"rnn backward dh += dz W_hh", false, false, b, hidden, hidden, steps - 1, 1.0f},
         {"rnn dW_hh = dz^T h", true, false, hidden, hidden, b * (steps - 1), 1, 0.0f},
         {"rnn dW_ih = dz^T x", true, false, hidden, input, b * steps, 1, 0.0f}});
    add(linear("fc forward x W^T", "fc dW = dz^T x", "fc dx = dz W", 128, 10));
  }
  return g;
}

// Median seconds per call over `reps` timings of at least min_seconds each.
double seconds_per_call(const Gemm& s, double min_seconds, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> a(static_cast<std::size_t>(s.m) * static_cast<std::size_t>(s.k));
  std::vector<float> b(static_cast<std::size_t>(s.k) * static_cast<std::size_t>(s.n));
  std::vector<float> c(static_cast<std::size_t>(s.m) * static_cast<std::size_t>(s.n), 0.0f);
  for (auto* v : {&a, &b}) std::generate(v->begin(), v->end(), [&] { return u(rng); });
  const int lda = s.trans_a ? s.m : s.k, ldb = s.trans_b ? s.k : s.n;
  // beta 0 as the layers ask for it (nn/gemm.cpp): C zeroed by memset, then beta 1, which is
  // faster than OpenBLAS's own beta 0 (it zeroes C one float at a time).
  const auto call = [&] {
    if (s.beta == 0.0f) std::fill(c.begin(), c.end(), 0.0f);
    cblas_sgemm(CblasRowMajor, s.trans_a ? CblasTrans : CblasNoTrans,
                s.trans_b ? CblasTrans : CblasNoTrans, s.m, s.n, s.k, 1.0f, a.data(), lda, b.data(),
                ldb, 1.0f, c.data(), s.n);
  };
  using clock = std::chrono::steady_clock;
  for (int i = 0; i < 3; ++i) call();  // threads started, operands in cache
  std::vector<double> per_call;
  for (int rep = 0; rep < 7; ++rep) {
    long calls = 0;
    const auto start = clock::now();
    double elapsed = 0;
    do {
      call();
      ++calls;
      elapsed = std::chrono::duration<double>(clock::now() - start).count();
    } while (elapsed < min_seconds);
    per_call.push_back(elapsed / static_cast<double>(calls));
  }
  std::sort(per_call.begin(), per_call.end());
  return per_call[per_call.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("OpenBLAS sgemm on the GEMM shapes of one training step", "sgemm_shapes");
  std::vector<std::string> models = {"mlp", "cnn", "rnn"};
  int threads = 1;
  double min_ms = 20;
  bool json = false;
  app.add_option("--model", models, "mlp, cnn, rnn; repeatable (default: all three)")
      ->check(CLI::IsMember({"mlp", "cnn", "rnn"}));
  app.add_option("--threads", threads, "OpenBLAS threads")->check(CLI::Range(1, 1024));
  app.add_option("--min-time-ms", min_ms, "per measurement")->check(CLI::Range(0.1, 60000.0));
  app.add_flag("--json", json, "one JSON object per line");
  CLI11_PARSE(app, argc, argv);
  openblas_set_num_threads(threads);
  const std::string core = openblas_get_corename();
  std::mt19937 rng(1);
  for (const auto& model : models) {
    const auto gemms = step_gemms(model);
    if (!json) {
      fmt::print("{} step, batch {}: OpenBLAS sgemm, core {}, {} thread(s)\n", model, kBatch, core,
                 threads);
      fmt::print("  {:<28} {:>5} {:>5} {:>5} {:>6} {:>7} {:>10} {:>8}\n", "GEMM", "M", "N", "K",
                 "trans", "calls", "MFLOP", "GFLOP/s");
    }
    double flops = 0, seconds = 0;
    for (const auto& s : gemms) {
      const double t = seconds_per_call(s, min_ms / 1000, rng);
      const double gflops = 2.0 * s.m * s.n * s.k / t / 1e9;
      flops += s.flops();
      seconds += t * s.per_step;
      const auto trans = fmt::format("{}{}", s.trans_a ? 'T' : 'N', s.trans_b ? 'T' : 'N');
      if (json) {
        fmt::print(
            "{{\"model\":\"{}\",\"gemm\":\"{}\",\"trans\":\"{}\",\"m\":{},\"n\":{},\"k\":{},"
            "\"calls\":{},\"flops\":{},\"seconds\":{:.9g},\"gflops\":{:.4g}}}\n",
            model, s.what, trans, s.m, s.n, s.k, s.per_step, s.flops(), t * s.per_step, gflops);
      } else {
        fmt::print("  {:<28} {:>5} {:>5} {:>5} {:>6} {:>7} {:>10.3f} {:>8.1f}\n", s.what, s.m, s.n,
                   s.k, trans, s.per_step, s.flops() / 1e6, gflops);
      }
    }
    if (json) {
      fmt::print(
          "{{\"model\":\"{}\",\"combined\":true,\"flops\":{},\"seconds\":{:.9g},\"gflops\":{:.4g},"
          "\"threads\":{},\"corename\":\"{}\"}}\n",
          model, flops, seconds, flops / seconds / 1e9, threads, core);
    } else {
      fmt::print("  combined: {:.2f} MFLOP per step in {:.3f} ms: {:.1f} GFLOP/s\n", flops / 1e6,
                 seconds * 1e3, flops / seconds / 1e9);
    }
  }
  return 0;
}
