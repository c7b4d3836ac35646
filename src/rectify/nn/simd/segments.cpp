// copy_segments and add_segments (segments.hpp), compiled once per SIMD target and picked at run
// time. A segment shorter than a vector still moves as one whole vector where that vector stays
// inside both sides' ranges: one wide store per image row where 16-byte copies took three (the
// unfolded matrix outgrows L1, and its stores were what im2col waited on).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "rectify/nn/simd/segments.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "hwy/highway.h"
#include "rectify/nn/simd/segments.hpp"

HWY_BEFORE_NAMESPACE();
namespace rectify::nn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// dst[0, n) = src[0, n) exactly: whole vectors, the last one overlapping the one before; shorter
// than a vector, 4 lanes at a time the same way, then lane by lane.
HWY_INLINE void CopyExact(const float* HWY_RESTRICT src, std::size_t n, float* HWY_RESTRICT dst) {
  const hn::ScalableTag<float> d;
  const std::size_t lanes = hn::Lanes(d);
  if (n >= lanes) {
    for (std::size_t j = 0; j + lanes < n; j += lanes)
      hn::StoreU(hn::LoadU(d, src + j), d, dst + j);
    hn::StoreU(hn::LoadU(d, src + n - lanes), d, dst + n - lanes);
    return;
  }
  const hn::CappedTag<float, 4> d4;
  const std::size_t four = hn::Lanes(d4);
  if (n >= four) {
    for (std::size_t j = 0; j + four < n; j += four) {
      hn::StoreU(hn::LoadU(d4, src + j), d4, dst + j);
    }
    hn::StoreU(hn::LoadU(d4, src + n - four), d4, dst + n - four);
    return;
  }
  for (std::size_t j = 0; j < n; ++j) dst[j] = src[j];
}

// dst[0, n) += src[0, n) exactly, each element once: whole vectors, then lane by lane.
HWY_INLINE void AddExact(const float* HWY_RESTRICT src, std::size_t n, float* HWY_RESTRICT dst) {
  const hn::ScalableTag<float> d;
  const std::size_t lanes = hn::Lanes(d);
  std::size_t j = 0;
  for (; j + lanes <= n; j += lanes) {
    hn::StoreU(hn::Add(hn::LoadU(d, dst + j), hn::LoadU(d, src + j)), d, dst + j);
  }
  for (; j < n; ++j) dst[j] += src[j];
}

// How many leading segments can move as one whole vector each: while the vector from segment i
// ends by the last segment's end, on both sides.
HWY_INLINE std::size_t WholeVectorSegments(std::size_t src_stride, std::size_t count, std::size_t n,
                                           std::size_t dst_stride, std::size_t lanes) {
  if (n == 0 || n >= lanes || count == 0) return 0;
  // i stride + lanes <= (count - 1) stride + n for i < this (strides >= n >= 1).
  const auto fitting = [&](std::size_t stride) -> std::size_t {
    const std::size_t end = (count - 1) * stride + n;
    return end >= lanes ? (end - lanes) / stride + 1 : 0;
  };
  return std::min({count, fitting(src_stride), fitting(dst_stride)});
}

void CopySegments(const float* HWY_RESTRICT src, std::size_t src_stride, std::size_t count,
                  std::size_t n, float* HWY_RESTRICT dst, std::size_t dst_stride) {
  const hn::ScalableTag<float> d;
  const std::size_t whole = WholeVectorSegments(src_stride, count, n, dst_stride, hn::Lanes(d));
  // The extra lanes land in the gap or on the next segments' places, written after them.
  for (std::size_t i = 0; i < whole; ++i) {
    hn::StoreU(hn::LoadU(d, src + i * src_stride), d, dst + i * dst_stride);
  }
  for (std::size_t i = whole; i < count; ++i) {
    CopyExact(src + i * src_stride, n, dst + i * dst_stride);
  }
}

void AddSegments(const float* HWY_RESTRICT src, std::size_t src_stride, std::size_t count,
                 std::size_t n, float* HWY_RESTRICT dst, std::size_t dst_stride) {
  const hn::ScalableTag<float> d;
  const std::size_t whole = WholeVectorSegments(src_stride, count, n, dst_stride, hn::Lanes(d));
  // A masked store, the lanes past n untouched. A load that overlaps the vector of a store still
  // in flight waits for it (the lanes masked off included), so the segments go in `phases` passes
  // whose vectors never overlap: segment i, then i + phases, ... Each element still gets its one
  // term; only the order between elements changes.
  const auto first_n = hn::FirstN(d, n);
  const std::size_t phases = (hn::Lanes(d) + dst_stride - 1) / dst_stride;
  for (std::size_t phase = 0; phase < phases; ++phase) {
    for (std::size_t i = phase; i < whole; i += phases) {
      float* row = dst + i * dst_stride;
      const auto sum = hn::Add(hn::LoadU(d, row), hn::LoadU(d, src + i * src_stride));
      hn::BlendedStore(sum, first_n, d, row);
    }
  }
  for (std::size_t i = whole; i < count; ++i) {
    AddExact(src + i * src_stride, n, dst + i * dst_stride);
  }
}

// fold_channel's (y, x), lane by lane.
HWY_INLINE float FoldOne(const float* rows, std::size_t k, std::size_t oh, std::size_t ow,
                         std::size_t y, std::size_t x) {
  float sum = 0.0f;
  for (std::size_t ki = 0; ki < k; ++ki) {
    if (y < ki || y - ki >= oh) continue;
    for (std::size_t kj = 0; kj < k; ++kj) {
      if (x < kj || x - kj >= ow) continue;
      sum += rows[(ki * k + kj) * oh * ow + (y - ki) * ow + x - kj];
    }
  }
  return sum;
}

// Lanes(d) outputs of kRows rows from row y, column x0: each term a vector loaded kj floats
// before its segment's column x0, the lanes outside the segment zeroed (adding +0 leaves a sum
// that began at +0 unchanged). The rows' sums are independent chains, interleaved.
template <std::size_t kRows, class D>
HWY_INLINE void FoldLanes(D d, const float* rows, std::size_t k, std::size_t oh, std::size_t ow,
                          std::size_t y, std::size_t x0, hn::Vec<D> (&sums)[kRows]) {
  const std::size_t lanes = hn::Lanes(d);
  for (auto& sum : sums) sum = hn::Zero(d);
  for (std::size_t ki = 0; ki < k; ++ki) {
    const float* row = rows + ki * k * oh * ow + x0;
    for (std::size_t kj = 0; kj < k; ++kj) {
      // Lanes i with kj <= x0 + i < kj + ow.
      const std::size_t lo = kj > x0 ? kj - x0 : 0;
      const std::size_t hi = kj + ow > x0 ? std::min(lanes, kj + ow - x0) : 0;
      const auto inside = hn::AndNot(hn::FirstN(d, lo), hn::FirstN(d, hi));
      const float* segment = row + kj * oh * ow - kj;
      for (std::size_t r = 0; r < kRows; ++r) {
        if (y + r < ki || y + r - ki >= oh) continue;
        const auto term = hn::LoadU(d, segment + (y + r - ki) * ow);
        sums[r] = hn::Add(sums[r], hn::IfThenElseZero(inside, term));
      }
    }
  }
}

void FoldChannel(const float* HWY_RESTRICT rows, std::size_t k, std::size_t h, std::size_t w,
                 const float* readable_end, float* HWY_RESTRICT plane) {
  const std::size_t oh = h - k + 1, ow = w - k + 1;
  const hn::ScalableTag<float> d;
  const std::size_t lanes = hn::Lanes(d);
  // A row shorter than a vector: AVX-512 stores its lanes under a mask; elsewhere lane by lane.
  constexpr bool kMaskedStores = HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL;
  const bool vectors = w >= lanes || kMaskedStores;
  // The last load's end: the last row's last segment, from the last vector's column.
  const std::size_t last_x0 = w >= lanes ? w - lanes : 0;
  const bool fits = static_cast<std::size_t>(readable_end - rows) + (k - 1) >=
                    (k * k - 1) * oh * ow + (oh - 1) * ow + last_x0 + lanes;
  if (!vectors || !fits) {
    for (std::size_t y = 0; y < h; ++y) {
      for (std::size_t x = 0; x < w; ++x) plane[y * w + x] = FoldOne(rows, k, oh, ow, y, x);
    }
    return;
  }
  // Four rows at a time, then one.
  const auto fold_rows = [&](auto rows_at_once, std::size_t y) {
    constexpr std::size_t kRows = decltype(rows_at_once)::value;
    hn::Vec<decltype(d)> sums[kRows];
    const auto store = [&](std::size_t x0, bool masked) {
      FoldLanes<kRows>(d, rows, k, oh, ow, y, x0, sums);
      for (std::size_t r = 0; r < kRows; ++r) {
        float* out = plane + (y + r) * w + x0;
        if (masked) {
          hn::BlendedStore(sums[r], hn::FirstN(d, w), d, out);
        } else {
          hn::StoreU(sums[r], d, out);
        }
      }
    };
    if (w < lanes) {
      store(0, true);
      return;
    }
    // Whole vectors; the last overlaps the one before (the same values again).
    for (std::size_t x0 = 0; x0 + lanes <= w; x0 += lanes) store(x0, false);
    if (w % lanes != 0) store(last_x0, false);
  };
  std::size_t y = 0;
  for (; y + 4 <= h; y += 4) fold_rows(std::integral_constant<std::size_t, 4>(), y);
  for (; y < h; ++y) fold_rows(std::integral_constant<std::size_t, 1>(), y);
}

}  // namespace HWY_NAMESPACE
}  // namespace rectify::nn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace rectify::nn {
HWY_EXPORT(CopySegments);
HWY_EXPORT(AddSegments);
HWY_EXPORT(FoldChannel);

void copy_segments(const float* src, std::size_t src_stride, std::size_t count, std::size_t n,
                   float* dst, std::size_t dst_stride) {
  HWY_DYNAMIC_DISPATCH(CopySegments)(src, src_stride, count, n, dst, dst_stride);
}

void add_segments(const float* src, std::size_t src_stride, std::size_t count, std::size_t n,
                  float* dst, std::size_t dst_stride) {
  HWY_DYNAMIC_DISPATCH(AddSegments)(src, src_stride, count, n, dst, dst_stride);
}

void fold_channel(const float* rows, std::size_t k, std::size_t h, std::size_t w,
                  const float* readable_end, float* plane) {
  HWY_DYNAMIC_DISPATCH(FoldChannel)(rows, k, h, w, readable_end, plane);
}
}  // namespace rectify::nn
#endif  // HWY_ONCE
