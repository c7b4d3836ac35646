#include "rectify/train/gradient_sync.hpp"

#include <utility>

namespace rectify::train {

GradientSync::GradientSync(Team& team, nn::Sequential& net, std::size_t bucket_bytes)
    : team_(team) {
  const auto& layers = net.layers();
  for (std::size_t i = layers.size(); i-- > 0;) {
    const auto params = layers[i]->params();
    if (params.empty()) continue;
    if (buckets_.empty() || (bucket_bytes > 0 && buckets_.back().bytes >= bucket_bytes)) {
      buckets_.emplace_back();
    }
    Bucket& b = buckets_.back();
    b.first_layer = i;
    for (const auto& p : params) {
      b.sums.push_back({p, nn::Tensor(p.grad->shape()), nn::Tensor(p.grad->shape()), nullptr});
      b.bytes += p.grad->size() * sizeof(float);
    }
  }
}

void GradientSync::start(Bucket& bucket) {
  for (auto& s : bucket.sums) {
    const nn::Tensor& grad = *s.param.grad;
    s.pending = team_.start_sum(grad.span(), s.landing.span());
  }
}

void GradientSync::layer_done(std::size_t index) {
  // With one bucket, it waits for finish(): the whole backward is done only then.
  while (buckets_.size() > 1 && started_ < buckets_.size() &&
         buckets_[started_].first_layer >= index) {
    start(buckets_[started_++]);
  }
  for (std::size_t b = 0; b < started_; ++b) {
    for (auto& s : buckets_[b].sums) s.pending->test();
  }
}

void GradientSync::finish() {
  while (started_ < buckets_.size()) start(buckets_[started_++]);
  for (auto& b : buckets_) {
    for (auto& s : b.sums) {
      s.pending->wait();
      s.pending.reset();
      std::swap(*s.param.grad, s.landing);
      std::swap(s.landing, s.spare);
    }
  }
  started_ = 0;
}

}  // namespace rectify::train
