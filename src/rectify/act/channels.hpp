// A tensor seen as (outer, channels, inner): the one description of a channel axis that
// prelu and crelu need. NCHW is (N, C, H*W); NHWC is (N*H*W, C, 1).
#pragma once

#include <cstddef>

namespace rectify {

struct ChannelLayout {
  std::size_t outer = 1, channels = 1, inner = 1;

  std::size_t size() const { return outer * channels * inner; }
  static ChannelLayout nchw(std::size_t n, std::size_t c, std::size_t h, std::size_t w) {
    return {n, c, h * w};
  }
  static ChannelLayout nhwc(std::size_t n, std::size_t h, std::size_t w, std::size_t c) {
    return {n * h * w, c, 1};
  }
};

}  // namespace rectify
