// Optimizers over a model's parameters, in the order params() lists them (the same every step).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rectify/nn/layer.hpp"

namespace rectify::train {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // One update from the gradients backward() just wrote. False when a parameter is NaN or
  // infinite after it (from a non-finite gradient, or an update that overflowed): checked in the
  // update loop itself, which reads every gradient and writes every parameter anyway.
  [[nodiscard]] virtual bool step(const std::vector<nn::Param>& params) = 0;
  void set_learning_rate(double lr) { lr_ = lr; }
  double learning_rate() const { return lr_; }

  // The optimizer's state for checkpoints: named vectors (one per parameter and kind, sized by
  // this call if no step was taken yet) and the number of steps taken.
  struct StateTensor {
    std::string name;
    std::vector<float>* values;
  };
  virtual std::vector<StateTensor> state(const std::vector<nn::Param>& params) = 0;
  std::int64_t steps() const { return steps_; }
  void set_steps(std::int64_t steps) { steps_ = steps; }

 protected:
  explicit Optimizer(double lr) : lr_(lr) {}
  double lr_;
  std::int64_t steps_ = 0;
};

struct SgdOptions {
  double lr = 0.01, momentum = 0.0, weight_decay = 0.0;
  bool nesterov = false;
};

// PyTorch's SGD: g += wd w; v = momentum v + g; w -= lr (nesterov ? g + momentum v : v).
class Sgd : public Optimizer {
 public:
  explicit Sgd(const SgdOptions& o);
  bool step(const std::vector<nn::Param>& params) override;
  std::vector<StateTensor> state(const std::vector<nn::Param>& params) override;

 private:
  SgdOptions o_;
  std::vector<std::vector<float>> velocity_;
};

struct AdamOptions {
  double lr = 0.001, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  bool decoupled = false;  // AdamW: decay the weights directly instead of adding wd w to g
};

class Adam : public Optimizer {
 public:
  explicit Adam(const AdamOptions& o);
  bool step(const std::vector<nn::Param>& params) override;
  std::vector<StateTensor> state(const std::vector<nn::Param>& params) override;

 private:
  AdamOptions o_;
  std::vector<std::vector<float>> m_, v_;
};

// "sgd", "sgd_nesterov", "adam", "adamw"; lr <= 0 takes the optimizer's default.
std::unique_ptr<Optimizer> make_optimizer(const std::string& name, double lr, double momentum,
                                          double weight_decay);

}  // namespace rectify::train
