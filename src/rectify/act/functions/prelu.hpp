// prelu(x) = x > 0 ? x : a * x with a learned slope a, shared or one per channel (He et al. 2015).
// Elementwise with the spec's slope it is leaky_relu; prelu.hpp (act/) learns per-channel slopes.
// Outside the guard: the SIMD section needs the other body once per target, first.
#include "rectify/act/functions/leaky_relu.hpp"
#ifndef RECTIFY_ACT_FUNCTIONS_PRELU_HPP_
#define RECTIFY_ACT_FUNCTIONS_PRELU_HPP_

namespace rectify::def {

struct prelu : leaky_relu {
  static constexpr ParamInfo kParams[] = {{"init", 0.25, -kFltMax, kFltMax, false, false,
                                           "initial value of the learned slope for x <= 0"}};
  static constexpr FunctionInfo info{
      .fn = Fn::prelu,
      .name = "prelu",
      .formula = "x > 0 ? x : a * x (a learned, shared or per channel)",
      .derivative = "x > 0 ? 1 : a;  d/da = x > 0 ? 0 : x",
      .params = kParams,
      .exact = true,
      .backward_from_output = slope_non_negative,
      .mask = always,
      .kinks = kink_at_zero,
      .layer = {.kind = LayerKind::learned_slope, .he_gain = slope_gain},
      .peers = {.torch = "F.prelu(x, torch.full((1,), init))", .onednn = "prelu"},
  };
};

}  // namespace rectify::def
#endif  // RECTIFY_ACT_FUNCTIONS_PRELU_HPP_

#if defined(RECTIFY_SIMD_BODIES) && \
    defined(RECTIFY_ACT_FUNCTIONS_PRELU_SIMD_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_FUNCTIONS_PRELU_SIMD_
#undef RECTIFY_ACT_FUNCTIONS_PRELU_SIMD_
#else
#define RECTIFY_ACT_FUNCTIONS_PRELU_SIMD_
#endif
#include "rectify/act/simd/drivers-inl.h"
HWY_BEFORE_NAMESPACE();
namespace rectify::HWY_NAMESPACE {

// leaky_relu's body, and the passes with a slope per channel that act/prelu.cpp runs.
template <>
struct Body<Fn::prelu> : Body<Fn::leaky_relu> {
  using Body<Fn::leaky_relu>::Body;

  static void Run(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
    using detail::Pass;
    if (c.pass == Pass::prelu_sum) return Sum(c, begin, end);
    if (c.pass == Pass::prelu_rows_forward) return RowsForward(c, begin, end);
    if (c.pass == Pass::prelu_rows_backward) return RowsBackward(c, begin, end);
    RunPasses<Body>(c, begin, end);
  }

  // dx of one vector, stored, and its terms of the slope gradient (x > 0 ? 0 : x dy) added to acc.
  static HWY_INLINE V BackwardAndSum(const Body& f, V x, V dy, float* dx, V acc) {
    hn::StoreU(f.Backward(D(), x, dy), D(), dx);
    return hn::Add(acc, hn::IfThenZeroElse(f.Pass(D(), x), hn::Mul(x, dy)));
  }

  // One channel block with one slope: dx, and the slope gradient summed in double. The whole
  // blocks run with the loads a few vectors ahead of the stores, as in Sweep (4K aliasing), but
  // always forward: the sum then keeps its order, and its bits, wherever the buffers lie.
  // `begin` is a multiple of 64, as act/prelu.cpp splits the blocks.
  static void Sum(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
    const D d;
    const Body leaky(d, c.k);
    V acc = hn::Zero(d);
    double total = 0;
    // Flush per block so the float partial sums stay short.
    const auto flush = [&] {
      total += static_cast<double>(hn::GetLane(hn::SumOfLanes(d, acc)));
      acc = hn::Zero(d);
    };
    const std::size_t n = hn::Lanes(d);
    const std::size_t blocks_end = begin + (end - begin) / kBlock * kBlock;
    const float* x = c.in0;
    const float* dy = c.in1;
    float* dx = c.out;
    // Half the lead on 16 registers: the sum and the slope need two of them.
    constexpr std::size_t kAhead = kVectorRegisters >= 32 ? kLead : kLead / 2;
    Pipelined<kAhead>((blocks_end - begin) / n, begin, n,
                      [x, dy](std::size_t i) {
                        return Pair{hn::LoadU(D(), x + i), hn::LoadU(D(), dy + i)};
                      },
                      [dx, n, &leaky, &acc, &flush](std::size_t i, const Pair& p) {
                        acc = BackwardAndSum(leaky, p.a, p.b, dx + i, acc);
                        if ((i + n) % kBlock == 0) flush();
                      });
    Walk<2, 1>({c.in0, c.in1, nullptr}, {c.out, nullptr}, nullptr, nullptr, blocks_end, end,
               [&](const float* const* in, float* const* out, std::uint8_t*, const std::uint8_t*) {
                 ForEachVector(d, [&](std::size_t j) {
                   acc = BackwardAndSum(leaky, hn::LoadU(d, in[0] + j), hn::LoadU(d, in[1] + j),
                                        out[0] + j, acc);
                 });
                 flush();
               });
    *c.sum = total;
  }

  // One row of C channels (NHWC) with a slope per element.
  static void RowsForward(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
    const D d;
    Walk<2, 1>({c.in0, c.in1, nullptr}, {c.out, nullptr}, nullptr, nullptr, begin, end,
               [&](const float* const* in, float* const* out, std::uint8_t*, const std::uint8_t*) {
                 ForEachVector(d, [&](std::size_t j) {
                   const V x = hn::LoadU(d, in[0] + j);
                   const V y =
                       hn::IfThenElse(x > hn::Zero(d), x, hn::Mul(x, hn::LoadU(d, in[1] + j)));
                   hn::StoreU(y, d, out[0] + j);
                 });
               });
  }

  static void RowsBackward(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
    const D d;
    Walk<3, 2>({c.in0, c.in1, c.in2}, {c.out, c.out2}, nullptr, nullptr, begin, end,
               [&](const float* const* in, float* const* out, std::uint8_t*, const std::uint8_t*) {
                 ForEachVector(d, [&](std::size_t j) {
                   const V x = hn::LoadU(d, in[0] + j);
                   const V dy = hn::LoadU(d, in[2] + j);
                   const M pass = x > hn::Zero(d);
                   hn::StoreU(hn::IfThenElse(pass, dy, hn::Mul(dy, hn::LoadU(d, in[1] + j))), d,
                              out[0] + j);
                   const V acc = hn::LoadU(d, out[1] + j);
                   hn::StoreU(hn::Add(acc, hn::IfThenZeroElse(pass, hn::Mul(x, dy))), d,
                              out[1] + j);
                 });
               });
  }
};

}  // namespace rectify::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();
#endif
