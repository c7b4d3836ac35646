#include "rectify/lab/jobs.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

#include "rectify/act/activation.hpp"

#ifndef RECTIFY_VERSION
#error "RECTIFY_VERSION is defined by the build"
#endif

namespace rectify::lab {
namespace {

std::string_view study_name(Study s) {
  switch (s) {
    case Study::compare:
      return "compare";
    case Study::dying_lr:
      return "dying_lr";
    case Study::dying_bias:
      return "dying_bias";
    case Study::depth:
      return "depth";
    case Study::init:
      return "init";
    case Study::cnn:
      return "cnn";
    case Study::rnn:
      return "rnn";
    case Study::cost:
      return "cost";
  }
  return "?";
}

// The comparison and depth studies: SGD with momentum, constant rate (no schedule hides
// differences in convergence speed).
train::TrainOptions base_options(const LabPlan& plan, const std::string& activation) {
  train::TrainOptions o;
  o.model = "mlp";
  o.activation = activation;
  o.epochs = plan.epochs;
  o.optimizer = plan.optimizer;
  o.lr = plan.lr;
  o.momentum = 0.9;
  o.schedule = "constant";
  return o;
}

}  // namespace

std::string Job::label() const {
  const auto& o = options;
  switch (study) {
    case Study::compare:
      return fmt::format("compare {} {} {} seed {}", o.activation, o.optimizer, o.lr, o.seed);
    case Study::dying_lr:
      return fmt::format("dying {} lr {} seed {}", o.activation, o.lr, o.seed);
    case Study::dying_bias:
      return fmt::format("dying {} bias {} seed {}", o.activation, o.hidden_bias, o.seed);
    case Study::depth:
      return fmt::format("depth {}", o.activation);
    case Study::init:
      return fmt::format("init {} {} seed {}", o.activation, init_label, o.seed);
    case Study::cnn:
      return fmt::format("cnn {} seed {}", o.activation, o.seed);
    case Study::rnn:
      return fmt::format("rnn {} {} seed {}", o.activation, init_label, o.seed);
    case Study::cost:
      return fmt::format("cost {}", o.activation);
  }
  return "?";
}

double Job::weight() const {
  if (study == Study::cost) return 0.05;
  // The deep model has nine hidden layers of 128 against the MLP's one: about twice the work.
  const bool deep = study == Study::depth || study == Study::init;
  // Per epoch, against the MLP's 50000 images: the CNN costs about 40 times as much per image,
  // the RNN about 4 times.
  const double images = train_images > 0 ? static_cast<double>(train_images) / 50000 : 1.2;
  if (study == Study::cnn) return 40 * images * options.epochs;
  if (study == Study::rnn) return 4 * images * options.epochs;
  return deep ? 2.0 * options.epochs + 0.1 : options.epochs;
}

std::vector<std::size_t> shard_assignment(const std::vector<Job>& jobs, std::size_t shards) {
  std::vector<std::size_t> order(jobs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&jobs](std::size_t a, std::size_t b) {
    return jobs[a].weight() > jobs[b].weight();
  });
  std::vector<double> load(std::max<std::size_t>(1, shards), 0.0);
  std::vector<std::size_t> shard_of(jobs.size());
  for (const std::size_t i : order) {
    const auto least =
        static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    load[least] += jobs[i].weight();
    shard_of[i] = least + 1;
  }
  return shard_of;
}

std::size_t validation_images(double fraction, std::size_t train_count) {
  return static_cast<std::size_t>(std::llround(fraction * static_cast<double>(train_count)));
}

std::vector<Job> plan_jobs(const LabPlan& plan) {
  std::vector<Job> jobs;
  const auto add = [&](Study study, train::TrainOptions o) {
    jobs.push_back(Job{.study = study, .options = std::move(o), .threads = plan.threads});
    return &jobs.back();
  };
  if (plan.studies.compare) {
    for (const auto& a : plan.activations) {
      for (const auto& rate : plan.rates) {
        for (const auto seed : plan.seeds) {
          auto o = base_options(plan, a);
          o.optimizer = rate.optimizer;
          o.lr = rate.lr;
          o.seed = seed;
          auto* job = add(Study::compare, o);
          job->validation = plan.validation;
          job->histogram =
              seed == plan.seeds.front() && rate.optimizer == plan.optimizer &&
              rate.lr == plan.lr &&
              std::find(plan.histogram_activations.begin(), plan.histogram_activations.end(), a) !=
                  plan.histogram_activations.end();
        }
      }
    }
  }
  if (plan.studies.dying) {
    // A learning-rate sweep, then negative initial biases at a safe rate.
    for (const auto& a : plan.dying_activations) {
      for (const auto seed : plan.dying_seeds) {
        for (const double lr : plan.dying_lrs) {
          auto o = base_options(plan, a);
          o.epochs = plan.dying_epochs;
          o.lr = lr;
          o.seed = seed;
          add(Study::dying_lr, o);
        }
        for (const double bias : plan.dying_biases) {
          auto o = base_options(plan, a);
          o.epochs = plan.dying_epochs;
          o.lr = plan.dying_bias_lr;
          o.hidden_bias = bias;
          o.seed = seed;
          add(Study::dying_bias, o);
        }
      }
    }
  }
  if (plan.studies.depth) {
    for (const auto& a : plan.depth_activations) {
      auto o = base_options(plan, a);
      o.model = "deep";
      o.lr = plan.depth_lr;
      o.epochs = plan.depth_epochs;
      add(Study::depth, o)->probe_batches = plan.depth_probe_batches;
    }
  }
  if (plan.studies.init) {
    for (const auto& a : plan.init_activations) {
      for (const auto& setting : plan.init_settings) {
        for (const auto seed : plan.dying_seeds) {
          auto o = base_options(plan, a);
          o.model = "deep";
          o.lr = plan.depth_lr;
          o.epochs = plan.init_epochs;
          o.seed = seed;
          o.init = setting.init;
          o.init_scale = setting.scale;
          auto* job = add(Study::init, o);
          job->probe_batches = plan.depth_probe_batches;
          job->init_label = setting.label;
        }
      }
    }
  }
  if (plan.studies.cnn) {
    for (const auto& a : plan.cnn_activations) {
      for (const auto seed : plan.dying_seeds) {
        auto o = base_options(plan, a);
        o.model = "cnn";
        o.epochs = plan.model_epochs;
        o.seed = seed;
        add(Study::cnn, o)->train_images = plan.model_images;
      }
    }
  }
  if (plan.studies.rnn) {
    for (const auto& setting : plan.rnn_settings) {
      for (const auto seed : plan.dying_seeds) {
        auto o = base_options(plan, "relu");
        o.model = "rnn";
        o.epochs = plan.model_epochs;
        o.seed = seed;
        o.identity_init = setting.identity_init;
        o.max_grad_norm = setting.max_grad_norm;
        auto* job = add(Study::rnn, o);
        job->train_images = plan.model_images;
        job->init_label = setting.label;
      }
    }
  }
  if (plan.studies.cost) {
    for (const auto& a : plan.activations) {
      add(Study::cost, base_options(plan, a))->bench_seconds = plan.bench_seconds;
    }
  }
  return jobs;
}

std::string job_config(const Job& job) {
  const auto& o = job.options;
  nlohmann::ordered_json j;
  j["study"] = study_name(job.study);
  // The canonical spec: "leaky_relu" and "leaky_relu:0.01" are one job.
  j["activation"] = Activation::parse(o.activation).to_string();
  if (job.study == Study::cost) {
    j["bench_seconds"] = job.bench_seconds;
  } else {
    j["model"] = o.model;
    j["epochs"] = o.epochs;
    j["batch"] = o.batch;
    j["optimizer"] = o.optimizer;
    j["lr"] = o.lr;
    j["momentum"] = o.momentum;
    j["weight_decay"] = o.weight_decay;
    j["schedule"] = o.schedule;
    j["seed"] = o.seed;
    j["identity_init"] = o.identity_init;
    j["max_grad_norm"] = o.max_grad_norm;
    j["dropout"] = o.dropout;
    j["hidden_bias"] = o.hidden_bias;
    j["diagnostics"] = o.diagnostics;
    if (job.study == Study::depth || job.study == Study::init) {
      j["probe_batches"] = job.probe_batches;
    }
    if (!o.init.empty()) j["init"] = o.init;
    if (job.train_images > 0) j["train_images"] = job.train_images;
    if (job.histogram) j["histogram"] = true;
    if (o.init_scale != 1) j["init_scale"] = o.init_scale;
    if (job.validation > 0) j["validation"] = job.validation;
  }
  j["threads"] = job.threads;
  j["version"] = RECTIFY_VERSION;
  return j.dump();
}

}  // namespace rectify::lab
