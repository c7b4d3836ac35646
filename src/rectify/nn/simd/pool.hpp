// MaxPool2d's 2 x 2, stride-2 window (the common case) over whole planes, run on the best SIMD
// target (pool.cpp). Internal; not installed.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rectify::nn {

// For each of `planes` planes of h x w floats at `in` (one after another): out[oy][ox] = the
// window at (2 oy, 2 ox)'s last NaN, else its first maximum row by row (PyTorch's choice), and
// arg[oy][ox] = its index in the plane; oh = h / 2, ow = w / 2 outputs per plane. Reads stay
// within the planes, writes within the planes' outputs.
void max_pool_2x2(const float* in, std::size_t planes, std::size_t h, std::size_t w, float* out,
                  std::uint32_t* arg);

}  // namespace rectify::nn
