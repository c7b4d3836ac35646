// Uses the installed library's upper layers: the training options, checked as `rectify train`
// checks them (train, on nn, data, io and act).
#include <cstdio>
#include <stdexcept>

#include "rectify/train/options.hpp"

int main() {
  rectify::train::TrainOptions options;
  rectify::train::check_options(options);
  options.activation = "nope";
  try {
    rectify::train::check_options(options);
  } catch (const std::invalid_argument& e) {
    std::printf("consumer_options: ok (%s)\n", e.what());
    return 0;
  }
  std::printf("consumer_options: WRONG: an unknown activation was accepted\n");
  return 1;
}
