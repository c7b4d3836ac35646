// crelu(x) = [relu(x), relu(-x)]: concatenated ReLU (Shang et al. 2016), which doubles the
// channel axis and keeps the negative half of the signal. crelu.hpp (act/) places the halves.
// Outside the guard: the SIMD section needs the other body once per target, first.
#include "rectify/act/functions/relu.hpp"
#ifndef RECTIFY_ACT_FUNCTIONS_CRELU_HPP_
#define RECTIFY_ACT_FUNCTIONS_CRELU_HPP_

namespace rectify::def {

// forward and backward are relu's, for the first half: the second is relu(-x).
struct crelu : relu {
  static constexpr FunctionInfo info{
      .fn = Fn::crelu,
      .name = "crelu",
      .formula = "[max(0, x), max(0, -x)] (doubles the channel axis)",
      .derivative = "[x > 0 ? 1 : 0, x < 0 ? -1 : 0]",
      .exact = true,
      .kinks = kink_at_zero,
      .layer = {.kind = LayerKind::channel_pair},
  };
};

}  // namespace rectify::def
#endif  // RECTIFY_ACT_FUNCTIONS_CRELU_HPP_

#if defined(RECTIFY_SIMD_BODIES) && \
    defined(RECTIFY_ACT_FUNCTIONS_CRELU_SIMD_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_FUNCTIONS_CRELU_SIMD_
#undef RECTIFY_ACT_FUNCTIONS_CRELU_SIMD_
#else
#define RECTIFY_ACT_FUNCTIONS_CRELU_SIMD_
#endif
#include "rectify/act/simd/drivers-inl.h"
HWY_BEFORE_NAMESPACE();
namespace rectify::HWY_NAMESPACE {

// Both halves at once: out = relu(x), out2 = relu(-x); backward dx = relu'(x) dy1 - relu'(-x) dy2.
template <>
struct Body<Fn::crelu> {
  static void Run(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
    if (c.pass == detail::Pass::crelu_forward) return Forward(c, begin, end);
    if (c.pass == detail::Pass::crelu_backward) return Backward(c, begin, end);
  }

  static void Forward(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
    const D d;
    const Body<Fn::relu> relu(d, c.k);
    const float* x = c.in0;
    float* y = c.out;
    float* y2 = c.out2;
    // Sweep's loads run ahead of both halves' stores (4 KiB aliasing; captures by value).
    Sweep<1, 2, kLaneWise<Body<Fn::relu>>>(
        {c.in0, nullptr, nullptr}, {c.out, c.out2}, begin, end,
        [x](std::size_t i) { return hn::LoadU(D(), x + i); },
        [y, y2, relu](std::size_t i, V v) {
          hn::StoreU(relu.Forward(D(), v), D(), y + i);
          hn::StoreU(relu.Forward(D(), hn::Neg(v)), D(), y2 + i);
        },
        [&](const float* const* in, float* const* out, std::uint8_t*, const std::uint8_t*) {
          ForEachVector(d, [&](std::size_t j) {
            const V v = hn::LoadU(d, in[0] + j);
            hn::StoreU(relu.Forward(d, v), d, out[0] + j);
            hn::StoreU(relu.Forward(d, hn::Neg(v)), d, out[1] + j);
          });
        });
  }

  // dx = relu'(x) dy1 - relu'(-x) dy2.
  static void Backward(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
    const D d;
    const Body<Fn::relu> relu(d, c.k);
    const auto dx = [relu](V x, V dy1, V dy2) {
      return hn::Sub(relu.Backward(D(), x, dy1), relu.Backward(D(), hn::Neg(x), dy2));
    };
    const float* x = c.in0;
    const float* dy1 = c.in1;
    const float* dy2 = c.in2;
    float* out = c.out;
    struct Loaded {
      V x, dy1, dy2;
    };
    // Sweep's loads run ahead of the stores (4 KiB aliasing; captures by value).
    Sweep<3, 1, kLaneWise<Body<Fn::relu>>>(
        {c.in0, c.in1, c.in2}, {c.out, nullptr}, begin, end,
        [x, dy1, dy2](std::size_t i) {
          return Loaded{hn::LoadU(D(), x + i), hn::LoadU(D(), dy1 + i), hn::LoadU(D(), dy2 + i)};
        },
        [out, dx](std::size_t i, const Loaded& l) {
          hn::StoreU(dx(l.x, l.dy1, l.dy2), D(), out + i);
        },
        [&](const float* const* in, float* const* outs, std::uint8_t*, const std::uint8_t*) {
          ForEachVector(d, [&](std::size_t j) {
            hn::StoreU(
                dx(hn::LoadU(d, in[0] + j), hn::LoadU(d, in[1] + j), hn::LoadU(d, in[2] + j)), d,
                outs[0] + j);
          });
        });
  }
};

}  // namespace rectify::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();
#endif
