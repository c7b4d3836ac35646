// rectify train: trains a model on Fashion-MNIST (or the embedded sample) and reports each epoch.
#include <fmt/format.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "commands.hpp"
#include "options.hpp"
#include "ranks.hpp"
#include "rectify/data/dataset.hpp"
#include "rectify/rectify.hpp"
#include "rectify/train/checkpoint.hpp"
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

// The JSON log, every write checked: a full disk is an error, not a log silently cut short.
class JsonLog {
 public:
  JsonLog(const std::string& path, bool append)
      : path_(path), file_(std::fopen(path.c_str(), append ? "a" : "w")) {
    if (file_ == nullptr) fail("cannot open");
  }
  ~JsonLog() {
    if (file_ != nullptr) std::fclose(file_);
  }
  JsonLog(const JsonLog&) = delete;
  JsonLog& operator=(const JsonLog&) = delete;

  void write_line(const std::string& line) {
    if (std::fputs(line.c_str(), file_) < 0 || std::fputc('\n', file_) < 0 ||
        std::fflush(file_) != 0) {
      fail("cannot write");
    }
  }
  void close() {
    std::FILE* f = std::exchange(file_, nullptr);
    if (std::fclose(f) != 0) fail("cannot write");
  }

 private:
  [[noreturn]] void fail(const char* what) const {
    throw std::runtime_error(
        fmt::format("--json-log {}: {}: {}", path_, what, std::strerror(errno)));
  }
  std::string path_;
  std::FILE* file_;
};

}  // namespace

Action add_train(CLI::App& app) {
  struct Args {
    train::TrainOptions o;
    std::string data, json_log;
    int threads = 0;
    std::size_t bucket_kb = 256;
    double rank_timeout = kDefaultRankTimeout;
  };
  // The command that continues an interrupted run exactly: its checkpoint, its total of epochs,
  // and the flags that are not stored in the checkpoint.
  auto resume_command = [](const Args& a, const train::Interrupted& e, int ranks) {
    std::string cmd = fmt::format("{}rectify train --resume {} --epochs {}",
                                  ranks > 1 ? fmt::format("mpirun -np {} ", ranks) : std::string(),
                                  shell_quoted(e.checkpoint), e.epochs);
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
  auto* model =
      cmd->add_option(
             "--model", opt.model,
             "mlp (784-128-10) | cnn (2 conv + pool) | rnn (28 rows as steps) | deep (10 layers)")
          ->capture_default_str();
  auto* activation =
      cmd->add_option("--activation", opt.activation, "Activation spec, e.g. relu, leaky_relu:0.1")
          ->capture_default_str();
  cmd->add_option("--epochs", opt.epochs, "Epochs")
      ->capture_default_str()
      ->check(CLI::Range(1, train::kMaxEpochs));
  auto* batch = cmd->add_option("--batch", opt.batch, "Batch size (at most the training images)")
                    ->capture_default_str()
                    ->check(CLI::Range(std::size_t{1}, train::kMaxBatch));
  auto* optimizer =
      cmd->add_option("--optimizer", opt.optimizer, "sgd | sgd_nesterov | adam | adamw")
          ->capture_default_str()
          ->check(CLI::IsMember({"sgd", "sgd_nesterov", "adam", "adamw"}));
  constexpr double kHuge = std::numeric_limits<double>::max();
  auto* lr = cmd->add_option("--lr", opt.lr, "Learning rate (default: adam 1e-3, sgd 1e-2)")
                 ->check(kPositiveFinite);
  auto* schedule = cmd->add_option("--schedule", opt.schedule, "constant | step | cosine")
                       ->capture_default_str()
                       ->check(CLI::IsMember({"constant", "step", "cosine"}));
  auto* momentum = cmd->add_option("--momentum", opt.momentum, "SGD momentum")
                       ->capture_default_str()
                       ->check(finite_in(0.0, 1.0));
  auto* decay = cmd->add_option("--weight-decay", opt.weight_decay, "Weight decay")
                    ->capture_default_str()
                    ->check(finite_in(0.0, kHuge));
  auto* identity = cmd->add_flag("!--no-identity-init", opt.identity_init,
                                 "rnn: PyTorch's uniform init instead of the identity (IRNN)");
  auto* dropout =
      cmd->add_option(
             "--dropout", opt.dropout,
             "Dropout probability before the last Linear (mlp, cnn; AlphaDropout for selu)")
          ->check(finite_in(0.0, 0.99));
  auto* clip =
      cmd->add_option("--max-grad-norm", opt.max_grad_norm, "Clip gradients to this global L2 norm")
          ->check(finite_in(0.0, kHuge));
  cmd->add_flag("!--no-diagnostics", opt.diagnostics,
                "Skip the per-layer statistics (dead units, sparsity, gradient norm)");
  auto* seed = cmd->add_option("--seed", opt.seed, "Seed for initialisation and shuffling")
                   ->capture_default_str();
  cmd->add_option("--threads", args->threads,
                  fmt::format("Threads, 1 to {} (default: all cores)", kMaxThreads))
      ->check(CLI::Range(1, kMaxThreads));
  cmd->add_option("--bucket-kb", args->bucket_kb,
                  "Under mpirun: the gradients go out in buckets of this many KiB while backward "
                  "runs (0: all at once after it)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 20));
  cmd->add_option("--rank-timeout", args->rank_timeout,
                  "Under mpirun: seconds a rank waits for another before it names it and stops "
                  "every rank")
      ->capture_default_str()
      ->check(finite_in(1, 86400));
  cmd->add_option("--data", args->data,
                  "Directory of IDX files (default: /usr/share/datasets/fashion-mnist, else "
                  "the embedded sample)")
      ->check(kNonEmpty);
  cmd->add_option("--save", opt.save,
                  "Write a checkpoint (safetensors) after every epoch, and on Ctrl-C or SIGTERM "
                  "(default then: ./rectify-train-interrupted.safetensors); replaces a regular "
                  "file only (a symbolic link: the file it names)")
      ->check(kNonEmpty);
  auto* resume =
      cmd->add_option(
             "--resume", opt.resume,
             "Continue the run of this checkpoint (its options; --epochs is the new total)")
          ->check(kNonEmpty);
  // A resumed run keeps the options it was started with: another value would be ignored.
  for (auto* stored : {model, activation, batch, optimizer, lr, schedule, momentum, decay, identity,
                       dropout, clip, seed}) {
    resume->excludes(stored);
  }
  cmd->add_option("--json-log", args->json_log,
                  "Write one JSON object per epoch to this file (appended to with --resume)")
      ->check(kNonEmpty);
  return [args, resume_command] {
    // Under mpirun: one rank of a data-parallel run (nullptr: the only process).
    auto* ranks = join_ranks(args->rank_timeout);
    train::Team* team = ranks != nullptr ? &ranks->team() : nullptr;
    const int size = team != nullptr ? team->size() : 1;
    const bool rank0 = team == nullptr || team->rank() == 0;  // the one that prints and writes
    if (args->threads > 0) {
      set_num_threads(args->threads);
    } else if (ranks != nullptr) {
      set_num_threads(default_rank_threads(*ranks));
    }
    auto options = args->o;
    // Everything is checked before any file is touched: the log, the checkpoint, the data.
    auto shown = options;  // the options the run will have: a checkpoint's own when resuming
    if (!options.resume.empty()) {
      shown =
          train::read_run_state(train::load_safetensors(options.resume), options.resume).options;
      shown.epochs = options.epochs;
    }
    try {
      train::check_options(shown);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(fmt::format("train: {}", e.what()));
    }
    if (options.save.empty()) options.interrupt_save = kInterruptedCheckpoint;
    const std::string& save = options.save.empty() ? options.interrupt_save : options.save;
    const auto save_file = rank0 ? train::save_target(save) : std::filesystem::path();
    const auto data =
        args->data.empty() ? data::load_fashion_mnist() : data::load_fashion_mnist(args->data);
    if (shown.batch > data.train.count) {
      throw std::invalid_argument(fmt::format(
          "train: batch {} is larger than the {} training images", shown.batch, data.train.count));
    }
    const auto& o = args->o;
    if (rank0) {
      fmt::print(
          "rectify train: {}{} with {}, {} epochs, batch {}, {}; data: {} ({} train, {} test){}\n",
          o.resume.empty() ? "" : fmt::format("resuming {}: ", o.resume), shown.model,
          shown.activation, shown.epochs, shown.batch, shown.optimizer, data.source,
          data.train.count, data.test.count,
          size > 1 ? fmt::format("; {} ranks x {} threads", size, num_threads()) : "");
    }
    std::unique_ptr<JsonLog> log;
    if (rank0 && !args->json_log.empty()) {
      // A resumed run continues the log of the run it continues.
      log = std::make_unique<JsonLog>(args->json_log, !o.resume.empty());
    }
    const bool tty = rank0 && isatty(STDERR_FILENO) != 0;
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
    auto report = [&log, rank0](const train::EpochMetrics& m) {
      if (!rank0) return;
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
      if (log) log->write_line(train::to_json(m));
    };
    SigintGuard signals;
    if (rank0) signals.keep_clean(save_file.string() + ".tmp");
    auto stop = [&signals] { return signals.raised() != 0; };
    try {
      if (team != nullptr) {
        train::train(options, data, progress, report, stop, *team, args->bucket_kb * 1024);
      } else {
        train::train(options, data, progress, report, stop);
      }
    } catch (const train::Interrupted& e) {
      // Every rank stops after the same batch; a rank the signal did not reach ends as if it had
      // (mpirun passes SIGTERM on).
      const int sig = signals.raised() != 0 ? signals.raised() : SIGTERM;
      if (!rank0) return 128 + sig;
      if (tty) fmt::print(stderr, "\r{:<70}\r", "");
      const std::string where = e.batch == e.batches
                                    ? fmt::format("after epoch {} of {}", e.epoch, e.epochs)
                                    : fmt::format("at epoch {} of {}, after batch {} of {}",
                                                  e.epoch, e.epochs, e.batch, e.batches);
      const std::string which = o.save.empty()
                                    ? "no --save was given: the default file, in the current "
                                      "directory"
                                    : "the --save file";
      fmt::print(stderr, "rectify train: interrupted{} {}; checkpoint saved to {} ({})\n",
                 sig == SIGTERM ? " by SIGTERM" : "", where, e.checkpoint, which);
      fmt::print(stderr, "To resume: {}\n", resume_command(*args, e, size));
      if (log) log->close();
      // 128 + the signal, as a shell reports a process the signal ended (130 for Ctrl-C).
      return 128 + sig;
    }
    if (log) log->close();
    return 0;
  };
}

}  // namespace rectify::cli
