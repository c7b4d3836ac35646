// rectify train: trains a model on Fashion-MNIST (or the embedded sample) and reports each epoch.
#include <fmt/format.h>
#include <unistd.h>
#include <fstream>
#include <optional>
#include <string>

#include "commands.hpp"
#include "rectify/data/dataset.hpp"
#include "rectify/rectify.hpp"
#include "rectify/train/trainer.hpp"

namespace rectify::cli {

Action add_train(CLI::App& app) {
  struct Args {
    train::TrainOptions o;
    std::string data, json_log;
    int threads = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("train", "Train a model on Fashion-MNIST");
  auto& opt = args->o;
  cmd->add_option(
         "--model", opt.model,
         "mlp (784-128-10) | cnn (2 conv + pool) | rnn (28 rows as steps) | deep (10 layers)")
      ->capture_default_str();
  cmd->add_option("--activation", opt.activation, "Activation spec, e.g. relu, leaky_relu:0.1")
      ->capture_default_str();
  cmd->add_option("--epochs", opt.epochs, "Epochs")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--batch", opt.batch, "Batch size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--optimizer", opt.optimizer, "sgd | sgd_nesterov | adam | adamw")
      ->capture_default_str();
  cmd->add_option("--lr", opt.lr, "Learning rate (default: adam 1e-3, sgd 1e-2)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--schedule", opt.schedule, "constant | step | cosine")
      ->capture_default_str()
      ->check(CLI::IsMember({"constant", "step", "cosine"}));
  cmd->add_option("--momentum", opt.momentum, "SGD momentum")->capture_default_str();
  cmd->add_option("--weight-decay", opt.weight_decay, "Weight decay")->capture_default_str();
  cmd->add_flag("!--no-identity-init", opt.identity_init,
                "rnn: PyTorch's uniform init instead of the identity (IRNN)");
  cmd->add_option("--dropout", opt.dropout,
                  "Dropout probability before the last Linear (mlp, cnn; AlphaDropout for selu)")
      ->check(CLI::Range(0.0, 0.99));
  cmd->add_option("--max-grad-norm", opt.max_grad_norm, "Clip gradients to this global L2 norm")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("!--no-diagnostics", opt.diagnostics,
                "Skip the per-layer statistics (dead units, sparsity, gradient norm)");
  cmd->add_option("--seed", opt.seed, "Seed for initialisation and shuffling")
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
  cmd->add_option("--data", args->data,
                  "Directory of IDX files (default: /usr/share/datasets/fashion-mnist, else "
                  "the embedded sample)");
  cmd->add_option("--save", opt.save, "Write a checkpoint (safetensors) after every epoch");
  cmd->add_option("--resume", opt.resume,
                  "Continue the run of this checkpoint (its options; --epochs is the new total)");
  cmd->add_option("--json-log", args->json_log, "Write one JSON object per epoch to this file");
  return [args] {
    if (args->threads > 0) set_num_threads(args->threads);
    const auto data =
        args->data.empty() ? data::load_fashion_mnist() : data::load_fashion_mnist(args->data);
    const auto& o = args->o;
    fmt::print("rectify train: {} with {}, {} epochs, batch {}, {}; data: {} ({} train, {} test)\n",
               o.model, o.activation, o.epochs, o.batch, o.optimizer, data.source, data.train.count,
               data.test.count);
    std::optional<std::ofstream> log;
    if (!args->json_log.empty()) {
      log.emplace(args->json_log);
      if (!*log) throw std::runtime_error("cannot write " + args->json_log);
    }
    const bool tty = isatty(STDERR_FILENO) != 0;
    auto progress = [tty](int epoch, std::size_t done, std::size_t total, double loss) {
      // A bar that redraws itself on a terminal; nothing per batch otherwise (the epoch line
      // below is the periodic progress when output goes to a file or a pipe).
      if (!tty || (done % 20 != 0 && done != total)) return;
      const int width = 30;
      const auto filled = static_cast<int>(width * done / total);
      fmt::print(stderr, "\repoch {:>3} [{:<{}}] {:>5.1f}%  loss {:.4f}", epoch,
                 std::string(static_cast<std::size_t>(filled), '#'), width,
                 100.0 * static_cast<double>(done) / static_cast<double>(total), loss);
      if (done == total) fmt::print(stderr, "\r{:<70}\r", "");
    };
    auto report = [&log](const train::EpochMetrics& m) {
      fmt::print(
          "epoch {:>3}  train loss {:.4f} acc {:.4f}  test loss {:.4f} acc {:.4f}  "
          "{:.2f} s  {:.0f} img/s\n",
          m.epoch, m.train_loss, m.train_acc, m.test_loss, m.test_acc, m.seconds, m.images_per_s);
      for (const auto& l : m.layers) {
        fmt::print(
            "           {:<8} dead {:>4}/{:<4} (died {}, revived {})  zero {:5.1f}%  "
            "mean {:+.3f} std {:.3f}  |grad| {:.2e}\n",
            l.layer, l.dead, l.units, l.died, l.revived, 100 * l.sparsity, l.mean, l.stddev,
            l.grad_norm);
      }
      std::fflush(stdout);
      if (log) *log << train::to_json(m) << '\n' << std::flush;
    };
    train::train(o, data, progress, report);
    return 0;
  };
}

}  // namespace rectify::cli
