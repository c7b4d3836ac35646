// max_pool_2x2 (pool.hpp), compiled once per SIMD target and picked at run time. A vector of
// windows: the two rows' even and odd columns split apart, then the same three choices as one
// window's tree (top pair, bottom pair, the two winners), so every lane picks what the scalar
// window picks, bits and index alike.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "rectify/nn/simd/pool.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <bit>
#include <cstddef>
#include <cstdint>

#include "hwy/highway.h"
#include "rectify/nn/simd/pool.hpp"

HWY_BEFORE_NAMESPACE();
namespace rectify::nn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// PyTorch's test, NaN included: v replaces the running maximum m.
inline bool Replaces(float v, float m) {
  return (v > m) | (v != v);
}

// One window, scalar, with no branch (the compares go either way at random): the top pair, the
// bottom pair, then the two winners; each step keeps the later one where it replaces.
HWY_INLINE void PoolWindow(const float* top, std::size_t w, std::uint32_t at, float* out,
                           std::uint32_t* arg) {
  struct Candidate {
    std::uint32_t bits, at;
  };
  const auto join = [](Candidate first, Candidate later) {
    const std::uint32_t take =
        0u - static_cast<std::uint32_t>(
                 Replaces(std::bit_cast<float>(later.bits), std::bit_cast<float>(first.bits)));
    return Candidate{(later.bits & take) | (first.bits & ~take),
                     (later.at & take) | (first.at & ~take)};
  };
  const auto bits = [](float v) { return std::bit_cast<std::uint32_t>(v); };
  const auto below = static_cast<std::uint32_t>(w);
  const Candidate t = join({bits(top[0]), at}, {bits(top[1]), at + 1});
  const Candidate b = join({bits(top[w]), at + below}, {bits(top[w + 1]), at + below + 1});
  const Candidate best = join(t, b);
  *out = std::bit_cast<float>(best.bits);
  *arg = best.at;
}

#if HWY_TARGET != HWY_SCALAR  // ConcatEven and ConcatOdd need two lanes
// Lanes(d) windows from the row pair at `top`, the first at index `at` of its plane: reads 2
// Lanes(d) floats of each row, writes Lanes(d) outputs.
template <class D>
HWY_INLINE void PoolWindows(D d, const float* top, std::size_t w, std::uint32_t at, float* out,
                            std::uint32_t* arg) {
  const hn::RebindToUnsigned<D> du;
  const std::size_t lanes = hn::Lanes(d);
  const auto t0 = hn::LoadU(d, top), t1 = hn::LoadU(d, top + lanes);
  const auto b0 = hn::LoadU(d, top + w), b1 = hn::LoadU(d, top + w + lanes);
  const auto top_even = hn::ConcatEven(d, t1, t0), top_odd = hn::ConcatOdd(d, t1, t0);
  const auto bottom_even = hn::ConcatEven(d, b1, b0), bottom_odd = hn::ConcatOdd(d, b1, b0);
  const auto first = hn::Add(hn::ShiftLeft<1>(hn::Iota(du, 0)), hn::Set(du, at));
  const auto below = hn::Set(du, static_cast<std::uint32_t>(w));
  const auto one = hn::Set(du, 1u);
  const auto replaces = [](auto v, auto m) { return hn::Or(hn::Gt(v, m), hn::IsNaN(v)); };
  const auto top_takes = replaces(top_odd, top_even);
  const auto top_value = hn::IfThenElse(top_takes, top_odd, top_even);
  const auto top_at = hn::IfThenElse(hn::RebindMask(du, top_takes), hn::Add(first, one), first);
  const auto bottom_takes = replaces(bottom_odd, bottom_even);
  const auto bottom_value = hn::IfThenElse(bottom_takes, bottom_odd, bottom_even);
  const auto bottom_first = hn::Add(first, below);
  const auto bottom_at =
      hn::IfThenElse(hn::RebindMask(du, bottom_takes), hn::Add(bottom_first, one), bottom_first);
  const auto bottom_wins = replaces(bottom_value, top_value);
  hn::StoreU(hn::IfThenElse(bottom_wins, bottom_value, top_value), d, out);
  hn::StoreU(hn::IfThenElse(hn::RebindMask(du, bottom_wins), bottom_at, top_at), du, arg);
}
#endif

// Every plane's rows in order, a vector of windows at a time. The last vector of a row may run
// past it (its extra outputs land on the next row's places, written after it); where a vector
// would read past the last plane or write past the last output (and on the scalar target), the
// windows go one by one.
template <class D>
void PoolPlanes([[maybe_unused]] D d, const float* in, std::size_t planes, std::size_t h,
                std::size_t w, float* out, std::uint32_t* arg) {
  const std::size_t oh = h / 2, ow = w / 2;
  [[maybe_unused]] const std::size_t lanes = hn::Lanes(d), in_size = planes * h * w,
                                     out_size = planes * oh * ow;
  for (std::size_t p = 0; p < planes; ++p) {
    for (std::size_t oy = 0; oy < oh; ++oy) {
      const std::size_t row = p * h * w + 2 * oy * w, out_row = (p * oh + oy) * ow;
      std::size_t ox = 0;
#if HWY_TARGET != HWY_SCALAR
      for (; ox < ow && row + w + 2 * (ox + lanes) <= in_size && out_row + ox + lanes <= out_size;
           ox += lanes) {
        PoolWindows(d, in + row + 2 * ox, w, static_cast<std::uint32_t>(2 * oy * w + 2 * ox),
                    out + out_row + ox, arg + out_row + ox);
      }
#endif
      for (; ox < ow; ++ox) {
        PoolWindow(in + row + 2 * ox, w, static_cast<std::uint32_t>(2 * oy * w + 2 * ox),
                   out + out_row + ox, arg + out_row + ox);
      }
    }
  }
}

void MaxPool2x2(const float* HWY_RESTRICT in, std::size_t planes, std::size_t h, std::size_t w,
                float* HWY_RESTRICT out, std::uint32_t* HWY_RESTRICT arg) {
#if HWY_TARGET != HWY_SCALAR
  // A vector no wider than twice the row's windows: a wider one would mostly compute garbage
  // (the cnn's second pool has 5 windows a row).
  const hn::ScalableTag<float> full;
  const std::size_t ow = w / 2;
  if (2 * ow >= hn::Lanes(full)) {
    PoolPlanes(full, in, planes, h, w, out, arg);
  } else if (2 * ow >= 8) {
    PoolPlanes(hn::CappedTag<float, 8>(), in, planes, h, w, out, arg);
  } else {
    PoolPlanes(hn::CappedTag<float, 4>(), in, planes, h, w, out, arg);
  }
#else
  PoolPlanes(hn::ScalableTag<float>(), in, planes, h, w, out, arg);
#endif
}

}  // namespace HWY_NAMESPACE
}  // namespace rectify::nn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace rectify::nn {
HWY_EXPORT(MaxPool2x2);

void max_pool_2x2(const float* in, std::size_t planes, std::size_t h, std::size_t w, float* out,
                  std::uint32_t* arg) {
  HWY_DYNAMIC_DISPATCH(MaxPool2x2)(in, planes, h, w, out, arg);
}

}  // namespace rectify::nn
#endif  // HWY_ONCE
