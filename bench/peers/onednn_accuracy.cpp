// oneDNN's accuracy on the exp-based functions, measured as rectify's own ULP tests measure
// rectify: the eltwise forward primitive (float32, CPU engine) on every stride-th float bit
// pattern that is finite and below 1e4 in magnitude, against rectify's scalar reference in
// double rounded to float. Results below 2^-100 in magnitude are left out, as in the contract
// rectify documents for itself. Prints one line per function: the worst error in ULP and where,
// the largest absolute error, and how many results are off by more than 4 ULP.
//
// Usage: onednn_accuracy [--stride N] [FN...]   (default: stride 13; gelu_erf elu sigmoid tanh
//                                                 silu)
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <dnnl.hpp>
#include <string>
#include <vector>

#include "accuracy_report.hpp"
#include "rectify/act/activation.hpp"

namespace {

struct Peer {
  const char* fn;
  dnnl::algorithm alg;
  float alpha;  // oneDNN's alpha: elu's alpha, swish's beta
};

constexpr Peer kPeers[] = {
    {"gelu_erf", dnnl::algorithm::eltwise_gelu_erf, 0.f},
    {"elu", dnnl::algorithm::eltwise_elu, 1.f},
    {"sigmoid", dnnl::algorithm::eltwise_logistic, 0.f},
    {"tanh", dnnl::algorithm::eltwise_tanh, 0.f},
    {"silu", dnnl::algorithm::eltwise_swish, 1.f},
};

std::vector<float> onednn_forward(const Peer& p, std::vector<float>& x) {
  const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream s(eng);
  const dnnl::memory::desc md({static_cast<dnnl::memory::dim>(x.size())},
                              dnnl::memory::data_type::f32, dnnl::memory::format_tag::a);
  std::vector<float> y(x.size());
  dnnl::memory src(md, eng, x.data()), dst(md, eng, y.data());
  const dnnl::eltwise_forward::primitive_desc pd(
      {dnnl::prop_kind::forward_inference, p.alg, md, p.alpha, 0.f}, eng);
  dnnl::eltwise_forward(pd).execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  s.wait();
  return y;
}

void report(const Peer& p, std::uint64_t stride) {
  const auto onednn = [&](std::vector<float>& x, std::vector<float>& y) {
    y = onednn_forward(p, x);
  };
  bench::measure_forward(rectify::Activation::parse(p.fn), stride, onednn).print("oneDNN", p.fn);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t stride = 13;
  std::vector<std::string> fns;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--stride" && i + 1 < argc) {
      stride = std::strtoull(argv[++i], nullptr, 10);
    } else {
      fns.push_back(arg);
    }
  }
  if (stride == 0) {
    std::fprintf(stderr, "onednn_accuracy: --stride must be positive\n");
    return 2;
  }
  for (const Peer& p : kPeers) {
    bool wanted = fns.empty();
    for (const auto& f : fns) wanted = wanted || f == p.fn;
    if (wanted) report(p, stride);
  }
  for (const auto& f : fns) {
    bool known = false;
    for (const Peer& p : kPeers) known = known || f == p.fn;
    if (!known) {
      std::fprintf(stderr, "onednn_accuracy: unknown function '%s'\n", f.c_str());
      return 2;
    }
  }
}
