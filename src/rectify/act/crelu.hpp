// CReLU: [relu(x), relu(-x)] concatenated along the channel axis, which doubles.
#pragma once

#include <span>

#include "rectify/act/channels.hpp"

namespace rectify {

// x has layout (outer, C, inner); y has (outer, 2C, inner): channels [0, C) hold relu(x) and
// [C, 2C) hold relu(-x).
void crelu_forward(std::span<const float> x, ChannelLayout layout, std::span<float> y);

// dx = (x > 0 ? dy_first : 0) - (x < 0 ? dy_second : 0), dy laid out as y.
void crelu_backward(std::span<const float> x, std::span<const float> dy, ChannelLayout layout,
                    std::span<float> dx);

}  // namespace rectify
