// oneDNN peer for bench/compare: times the eltwise (and prelu) primitives on the CPU engine in
// float32, and prints one JSON object per line with --json (the schema of `rectify bench --json`).
//
// Usage: onednn_eltwise --fns relu=eltwise_relu:0:0,elu=eltwise_elu:1:0 --passes forward,backward
//            --sizes 4096,65536 --threads 1,2   (bench/compare builds --fns from the registry)
//                       [--min-time-ms 50] [--reps 7] [--out-offset 1024] [--json]
//
// Placement, as `rectify bench` fixes it: every buffer page-aligned plus an offset in bytes, the
// input (x or y) at 0, dy at 2048 and the output at --out-offset, so the two sides meet the same
// 4K aliasing between loads and stores.
//
// forward uses forward_inference; backward (from the input x) and backward_output (from the output
// y, the *_use_dst_for_bwd algorithms) use forward_training hints. Not measured (reported on
// stderr): selu and celu (no oneDNN algorithm; celu with alpha 1 equals elu), backward_output where
// oneDNN has no use_dst variant, and backward_mask. relu6 is eltwise_clip_v2(0, 6): its gradient is
// zero at x == 0 and x == 6 like PyTorch's hardtanh_backward (eltwise_clip passes it at x == 6).
// Threads: Debian's libdnnl uses the OpenMP runtime, so --threads sets omp_set_num_threads.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <dnnl.hpp>

#include "comma_list.hpp"

namespace {

using dnnl::algorithm;
using dnnl::memory;
using dnnl::prop_kind;

// oneDNN's eltwise algorithms by name, each with its use-dst variant for backward from the output
// (algorithm::undef where oneDNN has none). Which function uses which, with what alpha and beta,
// comes from rectify's registry through bench/compare (--fns name=algorithm:alpha:beta).
struct Algorithm {
  const char* name;
  algorithm alg;
  algorithm alg_use_dst;
};

constexpr Algorithm kAlgorithms[] = {
    {"eltwise_relu", algorithm::eltwise_relu, algorithm::eltwise_relu_use_dst_for_bwd},
    {"eltwise_elu", algorithm::eltwise_elu, algorithm::eltwise_elu_use_dst_for_bwd},
    {"eltwise_clip_v2", algorithm::eltwise_clip_v2, algorithm::eltwise_clip_v2_use_dst_for_bwd},
    {"eltwise_logistic", algorithm::eltwise_logistic, algorithm::eltwise_logistic_use_dst_for_bwd},
    {"eltwise_tanh", algorithm::eltwise_tanh, algorithm::eltwise_tanh_use_dst_for_bwd},
    {"eltwise_gelu_erf", algorithm::eltwise_gelu_erf, algorithm::undef},
    {"eltwise_gelu_tanh", algorithm::eltwise_gelu_tanh, algorithm::undef},
    {"eltwise_swish", algorithm::eltwise_swish, algorithm::undef},
    {"eltwise_soft_relu", algorithm::eltwise_soft_relu, algorithm::undef},
    {"eltwise_mish", algorithm::eltwise_mish, algorithm::undef},
    {"eltwise_hardswish", algorithm::eltwise_hardswish, algorithm::undef},
};

// One function as bench/compare passes it: "relu=eltwise_relu:0:0", or "prelu=prelu" for the prelu
// primitive.
struct Eltwise {
  std::string fn;
  std::string primitive;
  algorithm alg = algorithm::undef;
  algorithm alg_use_dst = algorithm::undef;
  float alpha = 0, beta = 0;
};

Eltwise ParseFunction(const std::string& text) {
  Eltwise e;
  const auto eq = text.find('=');
  e.fn = text.substr(0, eq);
  if (eq == std::string::npos) return e;  // no oneDNN spelling: skipped
  std::vector<std::string> parts;
  for (std::size_t start = eq + 1;;) {
    const auto colon = text.find(':', start);
    parts.push_back(text.substr(start, colon == std::string::npos ? colon : colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  e.primitive = parts[0];
  if (parts.size() > 1) e.alpha = std::stof(parts[1]);
  if (parts.size() > 2) e.beta = std::stof(parts[2]);
  for (const auto& a : kAlgorithms) {
    if (e.primitive == a.name) {
      e.alg = a.alg;
      e.alg_use_dst = a.alg_use_dst;
    }
  }
  return e;
}
constexpr int64_t kPreluN = 64;  // prelu runs on NCHW with N = 64, C = 32, the rest spatial
constexpr int64_t kPreluC = 32;

// One primitive with its arguments, ready to execute.
struct Bench {
  dnnl::primitive prim;
  std::unordered_map<int, memory> args;
  std::string impl;
  std::vector<std::shared_ptr<void>> storage;  // the memory objects' buffers
};

constexpr size_t kPageBytes = 4096;
constexpr size_t kInputOffset = 0, kGradOffset = 2048;

// A memory object over page-aligned storage, `offset` bytes into the page.
memory Placed(const memory::desc& md, const dnnl::engine& eng, size_t offset,
              std::vector<std::shared_ptr<void>>& storage) {
  const size_t bytes = (md.get_size() + offset + kPageBytes) / kPageBytes * kPageBytes;
  std::shared_ptr<void> p(std::aligned_alloc(kPageBytes, bytes), std::free);
  storage.push_back(p);
  return memory(md, eng, static_cast<char*>(p.get()) + offset);
}

void Fill(const memory& m, float lo, float hi, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  auto* p = static_cast<float*>(m.get_data_handle());
  for (size_t i = 0, n = m.get_desc().get_size() / sizeof(float); i < n; ++i) p[i] = dist(gen);
}

Bench MakeEltwise(const dnnl::engine& eng, dnnl::stream& strm, const Eltwise& e,
                  const std::string& pass, int64_t size, size_t out_offset) {
  std::vector<std::shared_ptr<void>> storage;
  const memory::desc md({size}, memory::data_type::f32, memory::format_tag::a);
  const algorithm alg = pass == "backward_output" ? e.alg_use_dst : e.alg;
  const prop_kind prop =
      pass == "forward" ? prop_kind::forward_inference : prop_kind::forward_training;
  const dnnl::eltwise_forward::primitive_desc fwd_pd({prop, alg, md, e.alpha, e.beta}, eng);
  // Forward writes y at the output's offset; the backward passes read it from the input's.
  const memory x = Placed(md, eng, kInputOffset, storage);
  const memory y = Placed(md, eng, pass == "forward" ? out_offset : kInputOffset, storage);
  Fill(x, -5.f, 5.f, 1);
  dnnl::eltwise_forward fwd(fwd_pd);
  fwd.execute(strm, {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, y}});
  strm.wait();
  if (pass == "forward") {
    return {fwd, {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, y}}, fwd_pd.impl_info_str(), storage};
  }

  const dnnl::eltwise_backward::primitive_desc bwd_pd({alg, md, md, e.alpha, e.beta}, eng, fwd_pd);
  const memory dy = Placed(md, eng, kGradOffset, storage);
  const memory dx = Placed(md, eng, out_offset, storage);
  Fill(dy, -1.f, 1.f, 2);
  const bool use_dst = pass == "backward_output";
  return {dnnl::eltwise_backward(bwd_pd),
          {{use_dst ? DNNL_ARG_DST : DNNL_ARG_SRC, use_dst ? y : x},
           {DNNL_ARG_DIFF_DST, dy},
           {DNNL_ARG_DIFF_SRC, dx}},
          bwd_pd.impl_info_str(),
          storage};
}

Bench MakePrelu(const dnnl::engine& eng, const std::string& pass, int64_t size) {
  using tag = memory::format_tag;
  const auto f32 = memory::data_type::f32;
  const memory::desc md({kPreluN, kPreluC, size / (kPreluN * kPreluC)}, f32, tag::abc);
  const memory::desc wd({1, kPreluC, 1}, f32, tag::abc);
  const prop_kind prop =
      pass == "forward" ? prop_kind::forward_inference : prop_kind::forward_training;
  const dnnl::prelu_forward::primitive_desc fwd_pd({prop, md, wd}, eng);
  memory x(md, eng), y(md, eng), w(wd, eng);
  Fill(x, -5.f, 5.f, 1);
  std::fill_n(static_cast<float*>(w.get_data_handle()), kPreluC, 0.25f);
  if (pass == "forward") {
    return {dnnl::prelu_forward(fwd_pd),
            {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, y}},
            fwd_pd.impl_info_str()};
  }
  const dnnl::prelu_backward::primitive_desc bwd_pd({md, wd, md, wd}, eng, fwd_pd);
  memory dy(md, eng), dx(md, eng), dw(wd, eng);
  Fill(dy, -1.f, 1.f, 2);
  return {dnnl::prelu_backward(bwd_pd),
          {{DNNL_ARG_SRC, x},
           {DNNL_ARG_WEIGHTS, w},
           {DNNL_ARG_DIFF_DST, dy},
           {DNNL_ARG_DIFF_SRC, dx},
           {DNNL_ARG_DIFF_WEIGHTS, dw}},
          bwd_pd.impl_info_str()};
}

// Median seconds per execution over `reps` repetitions of about `min_time` seconds each.
double MedianSecondsPerCall(Bench& b, dnnl::stream& strm, double min_time, int reps) {
  using Clock = std::chrono::steady_clock;
  auto run = [&](int64_t n) {
    const auto start = Clock::now();
    for (int64_t i = 0; i < n; ++i) b.prim.execute(strm, b.args);
    strm.wait();
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  run(3);
  int64_t n = 1;
  double elapsed = run(n);
  while (elapsed < min_time / 4) elapsed = run(n *= 4);
  n = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(n) * min_time / elapsed));
  std::vector<double> samples;
  for (int r = 0; r < reps; ++r) samples.push_back(run(n) / static_cast<double>(n));
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

const char* IsaName(dnnl::cpu_isa isa) {
  using dnnl::cpu_isa;
  static const std::pair<cpu_isa, const char*> kNames[] = {
      {cpu_isa::sse41, "SSE4_1"},
      {cpu_isa::avx, "AVX"},
      {cpu_isa::avx2, "AVX2"},
      {cpu_isa::avx2_vnni, "AVX2_VNNI"},
      {cpu_isa::avx512_core, "AVX512"},
      {cpu_isa::avx512_core_vnni, "AVX512_VNNI"},
      {cpu_isa::avx512_core_bf16, "AVX512_BF16"},
      {cpu_isa::avx512_core_amx, "AVX512_AMX"},
  };
  for (const auto& [value, name] : kNames) {
    if (value == isa) return name;
  }
  return "other";
}

struct Options {
  std::vector<std::string> fns;  // name=algorithm:alpha:beta, from bench/compare
  std::vector<std::string> passes{"forward", "backward", "backward_output"};
  std::vector<int64_t> sizes{4096, 65536, 1048576, 16777216};
  std::vector<int> threads{1};
  double min_time = 0.05;
  int reps = 7;
  size_t out_offset = 1024;
  bool json = false;
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--json") {
      o.json = true;
    } else if (arg == "--fns" && has_value) {
      o.fns = Split(argv[++i]);
    } else if (arg == "--passes" && has_value) {
      o.passes = Split(argv[++i]);
    } else if (arg == "--sizes" && has_value) {
      o.sizes.clear();
      for (const auto& s : Split(argv[++i])) o.sizes.push_back(std::stoll(s));
    } else if (arg == "--threads" && has_value) {
      o.threads.clear();
      for (const auto& s : Split(argv[++i])) o.threads.push_back(std::stoi(s));
    } else if (arg == "--min-time-ms" && has_value) {
      o.min_time = std::stod(argv[++i]) / 1e3;
    } else if (arg == "--reps" && has_value) {
      o.reps = std::max(1, std::stoi(argv[++i]));
    } else if (arg == "--out-offset" && has_value) {
      o.out_offset = std::stoul(argv[++i]) % kPageBytes / 4 * 4;
    } else {
      std::fprintf(stderr,
                   "usage: onednn_eltwise [--fns a,b] [--passes p,q] [--sizes n,m] "
                   "[--threads t,u] [--min-time-ms ms] [--reps r] [--out-offset bytes] [--json]\n");
      std::exit(arg == "--help" ? 0 : 2);
    }
  }
  return o;
}

void Skip(const std::string& fn, const std::string& pass, const char* why) {
  std::fprintf(stderr, "onednn_eltwise: skip %s %s: %s\n", fn.c_str(), pass.c_str(), why);
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = Parse(argc, argv);
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  const std::string target = IsaName(dnnl::get_effective_cpu_isa());
  for (const int threads : opt.threads) {
    omp_set_num_threads(threads);
    for (const auto& pass : opt.passes) {
      for (const auto& spelled : opt.fns) {
        const Eltwise parsed = ParseFunction(spelled);
        const Eltwise* e = &parsed;
        const std::string& fn = parsed.fn;
        const bool is_prelu = parsed.primitive == "prelu";
        const bool found = parsed.alg != algorithm::undef;
        if (!found && !is_prelu) {
          Skip(fn, pass, parsed.primitive.empty() ? "no oneDNN algorithm" : "unknown algorithm");
          continue;
        }
        if (pass == "backward_mask" || (pass == "backward_output" && is_prelu) ||
            (pass == "backward_output" && found && e->alg_use_dst == algorithm::undef)) {
          Skip(fn, pass, "oneDNN has no such kernel");
          continue;
        }
        for (const int64_t size : opt.sizes) {
          if (is_prelu && size % (kPreluN * kPreluC) != 0) {
            Skip(fn, pass, "size is not a multiple of 2048 (NCHW, N=64, C=32)");
            continue;
          }
          try {
            Bench b = found ? MakeEltwise(eng, strm, *e, pass, size, opt.out_offset)
                            : MakePrelu(eng, pass, size);
            const double sec = MedianSecondsPerCall(b, strm, opt.min_time, opt.reps);
            const double elems = static_cast<double>(size);
            const double gelem = elems / sec / 1e9;
            const double gbytes = elems * (pass == "forward" ? 8.0 : 12.0) / sec / 1e9;
            if (opt.json) {
              std::printf(
                  "{\"peer\":\"onednn\",\"fn\":\"%s\",\"spec\":\"%s\",\"pass\":\"%s\","
                  "\"size\":%lld,\"threads\":%d,\"target\":\"%s\",\"gelem_per_s\":%.4f,"
                  "\"gb_per_s\":%.3f,\"out_offset\":%zu,\"impl\":\"%s\"}\n",
                  fn.c_str(), fn.c_str(), pass.c_str(), static_cast<long long>(size), threads,
                  target.c_str(), gelem, gbytes, opt.out_offset, b.impl.c_str());
            } else {
              std::printf("%10s %15s %9lld T=%d %8.3f Gelem/s %8.2f GB/s  [%s]\n", fn.c_str(),
                          pass.c_str(), static_cast<long long>(size), threads, gelem, gbytes,
                          b.impl.c_str());
            }
            std::fflush(stdout);
          } catch (const dnnl::error& err) {
            Skip(fn, pass, err.what());
          }
        }
      }
    }
  }
  return 0;
}
