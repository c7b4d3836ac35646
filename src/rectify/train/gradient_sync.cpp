#include "rectify/train/gradient_sync.hpp"

#include <algorithm>

namespace rectify::train {

GradientSync::GradientSync(Team& team, nn::Sequential& net, std::size_t bucket_bytes)
    : team_(team) {
  const auto& layers = net.layers();
  for (std::size_t i = layers.size(); i-- > 0;) {
    const auto params = layers[i]->params();
    if (params.empty()) continue;
    if (buckets_.empty() ||
        (bucket_bytes > 0 && buckets_.back().values.size() * sizeof(float) >= bucket_bytes)) {
      buckets_.emplace_back();
    }
    Bucket& b = buckets_.back();
    b.first_layer = i;
    for (const auto& p : params) {
      b.params.push_back(p);
      b.values.resize(b.values.size() + p.grad->size());
    }
  }
}

void GradientSync::start(Bucket& bucket) {
  auto out = bucket.values.begin();
  for (const auto& p : bucket.params) {
    const auto g = p.grad->span();
    out = std::copy(g.begin(), g.end(), out);
  }
  bucket.pending = team_.start_sum(bucket.values);
}

void GradientSync::layer_done(std::size_t index) {
  // With one bucket, it waits for finish(): the whole backward is done only then.
  while (buckets_.size() > 1 && started_ < buckets_.size() &&
         buckets_[started_].first_layer >= index) {
    start(buckets_[started_++]);
  }
  for (std::size_t b = 0; b < started_; ++b) buckets_[b].pending->test();
}

void GradientSync::finish() {
  while (started_ < buckets_.size()) start(buckets_[started_++]);
  for (auto& b : buckets_) {
    b.pending->wait();
    auto in = b.values.cbegin();
    for (const auto& p : b.params) {
      const auto g = p.grad->span();
      std::copy(in, in + static_cast<long>(g.size()), g.begin());
      in += static_cast<long>(g.size());
    }
  }
  started_ = 0;
}

}  // namespace rectify::train
