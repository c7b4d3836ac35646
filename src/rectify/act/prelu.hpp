// PReLU with learned slopes: one shared slope, or one per channel of a ChannelLayout.
#pragma once

#include <span>

#include "rectify/act/channels.hpp"

namespace rectify {

// y = x > 0 ? x : slope[c] * x. slopes.size() is 1 (shared) or layout.channels.
void prelu_forward(std::span<const float> x, std::span<const float> slopes, ChannelLayout layout,
                   std::span<float> y);

// dx = x > 0 ? dy : slope[c] * dy, and dslopes[c] = sum over the channel of (x > 0 ? 0 : x * dy),
// overwritten (not accumulated). The sums are taken in double in a fixed order, so they do not
// depend on the thread count.
void prelu_backward(std::span<const float> x, std::span<const float> slopes,
                    std::span<const float> dy, ChannelLayout layout, std::span<float> dx,
                    std::span<float> dslopes);

}  // namespace rectify
