// mish(x) = x tanh(softplus(x)) (Misra 2019): smooth, non-monotonic, unbounded above, PyTorch's
// F.mish. With n = e (e + 2), e = exp(x): tanh(softplus(x)) = n / (n + 2), no cancellation.
#ifndef RECTIFY_ACT_FUNCTIONS_MISH_HPP_
#define RECTIFY_ACT_FUNCTIONS_MISH_HPP_

#include <cmath>

#include "rectify/act/definition.hpp"

namespace rectify::def {

struct mish : Definition {
  // PyTorch's formula: mish(-inf) = -inf * 0 = NaN, as there.
  template <class T>
  static T forward(const Activation&, T x) {
    return x * std::tanh(std::log1p(std::exp(x)));
  }
  // t + x sigmoid(x) (1 - t^2), t = tanh(softplus(x)), as PyTorch; at +inf the limit 1 (PyTorch's
  // formula gives inf * 0 = NaN there), at -inf NaN like the forward.
  template <class T>
  static T backward(const Activation&, T x, T dy) {
    if (x == T(INFINITY)) return dy;
    const T t = std::tanh(std::log1p(std::exp(x)));
    return dy * (t + x * ref::sigmoid(x) * (T(1) - t * t));
  }

  static constexpr FunctionInfo info{
      .fn = Fn::mish,
      .name = "mish",
      .formula = "x * tanh(softplus(x)) = x * tanh(log(1 + exp(x)))",
      .derivative = "t + x sigmoid(x) (1 - t^2), t = tanh(softplus(x))",
      .max_ulp_forward = 4,
      .max_ulp_backward = 8,
      .root_window = 0.5,
      .peers = {.torch = "F.mish(x)",
                .torch_differs = "pass_ == 'backward' and x == math.inf",
                .onednn = "eltwise_mish"},
  };
};

}  // namespace rectify::def
#endif  // RECTIFY_ACT_FUNCTIONS_MISH_HPP_

#if defined(RECTIFY_SIMD_BODIES) && \
    defined(RECTIFY_ACT_FUNCTIONS_MISH_SIMD_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_FUNCTIONS_MISH_SIMD_
#undef RECTIFY_ACT_FUNCTIONS_MISH_SIMD_
#else
#define RECTIFY_ACT_FUNCTIONS_MISH_SIMD_
#endif
#include "rectify/act/simd/drivers-inl.h"
HWY_BEFORE_NAMESPACE();
namespace rectify::HWY_NAMESPACE {

template <>
struct Body<Fn::mish> {
  Body(D, const detail::Coefficients&) {}
  // x clamped to [-104, 20]: above 20, n / (n + 2) is 1 in float and x t is x; below -104,
  // x e^x is under FLT_MIN. e = exp(xc), n = e (e + 2), n + 2. NaN: the caller restores it.
  struct Parts {
    V xc, e, n, n2;
  };
  static Parts Of(D d, V x) {
    const V two = hn::Set(d, 2.0f);
    const V xc = hn::Min(hn::Max(x, hn::Set(d, -104.0f)), hn::Set(d, 20.0f));
    const V e = FastExp(d, xc);
    const V n = hn::Mul(e, hn::Add(e, two));
    return {xc, e, n, hn::Add(n, two)};
  }
  V Forward(D d, V x) const {
    const Parts p = Of(d, x);
    const V t = hn::IfThenZeroElse(x < hn::Set(d, -104.0f), hn::Div(p.n, p.n2));
    return hn::IfThenElse(hn::IsNaN(x), x, hn::Mul(x, t));  // -inf: -inf * 0 = NaN
  }
  // t + x sigmoid(x) sech^2(softplus(x)), s = sigmoid(x) = e / (1 + e), sech^2(softplus(x)) =
  // 1 - t^2 = 4 (n + 1) / (n + 2)^2. Above 0 both terms are positive: summed as they are. Below,
  // where they cancel, over the common denominator (n + 2)^2: e B with B = e^3 + 4 e^2 +
  // (6 + 4 x) e + 4 (1 + x), which cancels only at the gradient's root (x = -1.19).
  V Backward(D d, V x, V dy) const {
    const Parts p = Of(d, x);
    const V one = hn::Set(d, 1.0f), four = hn::Set(d, 4.0f);
    const V square = hn::Mul(p.n2, p.n2);
    const V t = hn::Div(p.n, p.n2);
    const V s = hn::Div(p.e, hn::Add(one, p.e));
    const V sech2 = hn::Div(hn::Mul(four, hn::Add(p.n, one)), square);
    const V above = hn::MulAdd(hn::Mul(p.xc, s), sech2, t);
    const V linear = hn::MulAdd(four, p.xc, hn::Set(d, 6.0f));
    const V constant = hn::Mul(four, hn::Add(one, p.xc));
    const V b = hn::MulAdd(hn::MulAdd(hn::Add(p.e, four), p.e, linear), p.e, constant);
    const V below = hn::Div(hn::Mul(p.e, b), square);
    // Above 20 the limit 1; + 0: a gradient that underflowed is +0, as PyTorch's t + (-0) gives.
    const V g =
        hn::IfThenElse(x > hn::Set(d, 20.0f), one, hn::IfThenElse(x < hn::Zero(d), below, above));
    const V r = hn::Add(hn::Mul(dy, g), hn::Zero(d));
    const V nan = hn::Set(d, std::numeric_limits<float>::quiet_NaN());
    const V at_minus_inf = hn::IfThenElse(x == hn::Set(d, -INFINITY), nan, r);
    return hn::IfThenElse(hn::IsNaN(x), hn::Mul(dy, x), at_minus_inf);  // the input's NaN, quieted
  }
};

}  // namespace rectify::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();
#endif
