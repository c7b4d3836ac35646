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

}  // namespace rectify::nn
