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
#include "sigint.hpp"

namespace rectify::cli {
namespace {

// Where an interrupted run without --save leaves its checkpoint: the current directory.
constexpr const char* kInterruptedCheckpoint = "rectify-train-interrupted.safetensors";

// A word as a POSIX shell reads it back.
std::string shell_quoted(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789_./:=+-,@%") == std::string::npos) {
    return word;
  }
  std::string quoted = "'";
  for (const char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

Action add_train(CLI::App& app) {
  struct Args {
    train::TrainOptions o;
    std::string data, json_log;
    int threads = 0;
  };
  // The command that continues an interrupted run exactly: its checkpoint, its total of epochs,
  // and the flags that are not stored in the checkpoint.
  auto resume_command = [](const Args& a, const train::Interrupted& e) {
    std::string cmd =
        fmt::format("rectify train --resume {} --epochs {}", shell_quoted(e.checkpoint), e.epochs);
    if (!a.o.save.empty()) cmd += " --save " + shell_quoted(a.o.save);
    if (!a.data.empty()) cmd += " --data " + shell_quoted(a.data);
    if (!a.json_log.empty()) cmd += " --json-log " + shell_quoted(a.json_log);
    if (a.threads > 0) cmd += fmt::format(" --threads {}", a.threads);
    if (!a.o.diagnostics) cmd += " --no-diagnostics";
    return cmd;
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
  cmd->add_option("--save", opt.save,
                  "Write a checkpoint (safetensors) after every epoch, and on Ctrl-C (default "
                  "then: ./rectify-train-interrupted.safetensors)");
  cmd->add_option("--resume", opt.resume,
                  "Continue the run of this checkpoint (its options; --epochs is the new total)");
  cmd->add_option("--json-log", args->json_log,
                  "Write one JSON object per epoch to this file (appended to with --resume)");
  return [args, resume_command] {
    if (args->threads > 0) set_num_threads(args->threads);
    const auto data =
        args->data.empty() ? data::load_fashion_mnist() : data::load_fashion_mnist(args->data);
    const auto& o = args->o;
    fmt::print("rectify train: {} with {}, {} epochs, batch {}, {}; data: {} ({} train, {} test)\n",
               o.model, o.activation, o.epochs, o.batch, o.optimizer, data.source, data.train.count,
               data.test.count);
    std::optional<std::ofstream> log;
    if (!args->json_log.empty()) {
      // A resumed run continues the log of the run it continues.
      log.emplace(args->json_log, args->o.resume.empty() ? std::ios::trunc : std::ios::app);
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
    auto options = o;
    if (options.save.empty()) options.interrupt_save = kInterruptedCheckpoint;
    const SigintGuard sigint;
    try {
      train::train(options, data, progress, report, [&sigint] { return sigint.raised(); });
    } catch (const train::Interrupted& e) {
      if (tty) fmt::print(stderr, "\r{:<70}\r", "");
      const std::string where = e.batch == e.batches
                                    ? fmt::format("after epoch {} of {}", e.epoch, e.epochs)
                                    : fmt::format("at epoch {} of {}, after batch {} of {}",
                                                  e.epoch, e.epochs, e.batch, e.batches);
      const std::string which = o.save.empty()
                                    ? "no --save was given: the default file, in the current "
                                      "directory"
                                    : "the --save file";
      fmt::print(stderr, "rectify train: interrupted {}; checkpoint saved to {} ({})\n", where,
                 e.checkpoint, which);
      fmt::print(stderr, "To resume: {}\n", resume_command(*args, e));
      return 130;  // 128 + SIGINT, as a shell reports a process ended by Ctrl-C
    }
    return 0;
  };
}

}  // namespace rectify::cli
