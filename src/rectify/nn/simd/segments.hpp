// Copies between an image's rows and an unfolded (im2col) matrix's rows, run on the best SIMD
// target (segments.cpp): the inner loops of Conv2d's unfold and its reverse. A segment is n
// consecutive floats; `count` of them lie `stride` apart (stride >= n) on each side. Reads stay
// within [p, p + (count - 1) stride + n) of each side. Internal; not installed.
#pragma once

#include <cstddef>

namespace rectify::nn {

// dst[i dst_stride + j] = src[i src_stride + j] for i < count, j < n. The gaps between dst's
// segments may be overwritten with other floats of src: a caller that needs them (zero padding)
// writes them afterwards.
void copy_segments(const float* src, std::size_t src_stride, std::size_t count, std::size_t n,
                   float* dst, std::size_t dst_stride);

// dst[i dst_stride + j] += src[i src_stride + j] for i < count, j < n, each element its one term.
// Nothing outside the segments is written.
void add_segments(const float* src, std::size_t src_stride, std::size_t count, std::size_t n,
                  float* dst, std::size_t dst_stride);

// The reverse of the unfold of one channel for stride 1 and no padding, written once rather than
// added into zeros: plane (h x w) at (y, x) = +0 plus rows[(ki k + kj) P + (y - ki) ow + x - kj]
// over ki, then kj, in order, where 0 <= y - ki < oh and 0 <= x - kj < ow (oh = h - k + 1,
// ow = w - k + 1, P = oh ow): the bits of zeros followed by add_segments row by row. Vectors
// read up to a vector past the channel's k k P floats of rows, within [rows, readable_end) (one
// that would not fit is summed lane by lane).
void fold_channel(const float* rows, std::size_t k, std::size_t h, std::size_t w,
                  const float* readable_end, float* plane);

}  // namespace rectify::nn
