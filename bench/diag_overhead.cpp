// What the diagnostics cost: epochs of the same run with the probes on and off, alternated so
// that drifts of the machine hit both alike; prints the median seconds per epoch of each and
// the overhead. Usage: diag_overhead [images (default 60000)] [repeats (default 3)] [models...]
#include <fmt/format.h>
#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "rectify/act/threads.hpp"
#include "rectify/data/dataset.hpp"
#include "rectify/train/trainer.hpp"

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The first `count` training images (all of them when count is larger).
rectify::data::FashionMnist subset(rectify::data::FashionMnist data, std::size_t count) {
  auto& t = data.train;
  count = std::min(count, t.count);
  t.images.resize(count * t.rows * t.cols);
  t.labels.resize(count);
  t.count = count;
  return data;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t images = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 60000;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
  std::vector<std::string> models;
  for (int i = 3; i < argc; ++i) models.emplace_back(argv[i]);
  if (models.empty()) models = {"mlp", "cnn", "rnn"};
  const auto data = subset(rectify::data::load_fashion_mnist(), images);
  fmt::print("diagnostics overhead: {} training images of {}, {} thread(s), median of {}\n",
             data.train.count, data.source, rectify::num_threads(), repeats);
  fmt::print("{:<6} {:>12} {:>12} {:>10}\n", "model", "off s/epoch", "on s/epoch", "overhead");
  for (const auto& model : models) {
    const std::size_t n =
        model == "cnn" ? std::min<std::size_t>(data.train.count, 6000) : data.train.count;
    const auto d = subset(data, n);
    std::vector<double> on, off;
    for (int r = 0; r < repeats; ++r) {
      for (const bool diagnostics : {false, true}) {
        rectify::train::TrainOptions o{.model = model, .epochs = 1};
        o.diagnostics = diagnostics;
        const double s = rectify::train::train(o, d).back().seconds;
        (diagnostics ? on : off)
            .push_back(s * static_cast<double>(data.train.count) / static_cast<double>(n));
      }
    }
    const double a = median(off), b = median(on);
    fmt::print("{:<6} {:>12.3f} {:>12.3f} {:>9.1f}%\n", model, a, b, 100 * (b / a - 1));
  }
  return 0;
}
