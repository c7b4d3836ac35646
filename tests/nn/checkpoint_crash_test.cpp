// Checkpoints survive the process dying at any moment of a save: a child saves two versions of a
// model's checkpoint in turn, is killed with SIGKILL after a random delay, and the file on disk
// must then be exactly one of the two versions and load and validate. A full disk (a file size
// limit in a child) is a clear error that leaves the old checkpoint as it was.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "rectify/act/activation.hpp"
#include "rectify/train/checkpoint.hpp"
#include "rectify/train/models.hpp"

namespace rectify::train {
namespace {

namespace fs = std::filesystem;

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A model with its optimizer, in one of two versions that differ in every parameter and in the
// run state.
struct Version {
  nn::Sequential model;
  std::unique_ptr<Optimizer> optimizer;
  RunState run;

  explicit Version(int epochs_done) {
    std::mt19937_64 rng(7);
    model = make_model("mlp", Activation::parse("relu"), rng, true, 0.0);
    optimizer = make_optimizer("adam", 0, 0.9, 0);
    optimizer->state(model.params());  // sizes the moments, saved with the weights
    run.options.epochs = 10;
    run.epochs_done = epochs_done;
    for (const auto& p : model.params()) {
      for (float& w : p.value->span()) w += static_cast<float>(epochs_done);
    }
  }
  void save(const fs::path& path) { save_checkpoint(path, model.params(), *optimizer, run); }
};

// Loads the checkpoint and restores it into `into`: everything a resumed run checks.
void expect_loads(const fs::path& path, Version& into) {
  const auto file = load_safetensors(path);
  const RunState run = read_run_state(file, path.string());
  restore_checkpoint(file, path.string(), into.model.params(), *into.optimizer);
  EXPECT_TRUE(run.epochs_done == 1 || run.epochs_done == 2);
}

class CrashSafety : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rectify_crash_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(CrashSafety, SigkillAtRandomMomentsLeavesTheOldOrTheNewCheckpoint) {
  Version old_version(1), new_version(2), restored(0);
  old_version.save(dir_ / "old.safetensors");
  new_version.save(dir_ / "new.safetensors");
  const std::string old_bytes = file_bytes(dir_ / "old.safetensors");
  const std::string new_bytes = file_bytes(dir_ / "new.safetensors");
  ASSERT_NE(old_bytes, new_bytes);
  const fs::path target = dir_ / "run.safetensors";
  const fs::path tmp = dir_ / "run.safetensors.tmp";
  old_version.save(target);

  // Delays from 20 us to 20 ms, even on a log scale: from the child's first instructions to
  // several whole saves.
  std::mt19937_64 rng(2024);
  std::uniform_real_distribution<double> log_delay(std::log(20e-6), std::log(20e-3));
  constexpr int kKills = 120;
  int found_old = 0, found_new = 0, during_write = 0;
  for (int i = 0; i < kKills; ++i) {
    fs::remove(tmp);  // left by the last kill: count only this one's
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (int n = 0;; ++n) (n % 2 == 0 ? new_version : old_version).save(target);
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(std::exp(log_delay(rng))));
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the saving child failed";
    during_write += fs::exists(tmp);
    const std::string bytes = file_bytes(target);
    if (bytes == old_bytes) {
      ++found_old;
    } else if (bytes == new_bytes) {
      ++found_new;
    } else {
      FAIL() << "kill " << i << ": the checkpoint is neither version (" << bytes.size()
             << " bytes)";
    }
    expect_loads(target, restored);
  }
  std::cout << kKills << " kills: " << found_old << " left the old checkpoint, " << found_new
            << " the new one; " << during_write << " struck while a temporary file was open\n";
  EXPECT_GT(during_write, 0) << "no kill struck during a write: the test proves nothing";
  EXPECT_GT(found_new, 0);
}

TEST_F(CrashSafety, AFullDiskIsAClearErrorAndKeepsTheOldCheckpoint) {
  Version old_version(1), new_version(2), restored(0);
  const fs::path target = dir_ / "run.safetensors";
  old_version.save(target);
  const std::string old_bytes = file_bytes(target);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Files may not grow past 64 KiB, a fraction of the checkpoint; writing past it fails with
    // EFBIG instead of raising SIGXFSZ.
    ::close(pipe_fds[0]);
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{64 * 1024, 64 * 1024};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    std::string message = "no error";
    try {
      new_version.save(target);
    } catch (const CheckpointError& e) {
      message = e.what();
    }
    const auto written = ::write(pipe_fds[1], message.data(), message.size());
    ::_exit(written == static_cast<ssize_t>(message.size()) ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::string message;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) message.append(buffer, n);
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(message.find("run.safetensors.tmp: write failed: File too large"), std::string::npos)
      << message;
  EXPECT_NE(message.find("run.safetensors is unchanged"), std::string::npos) << message;
  EXPECT_EQ(file_bytes(target), old_bytes);
  EXPECT_FALSE(fs::exists(dir_ / "run.safetensors.tmp"));
  expect_loads(target, restored);
}

}  // namespace
}  // namespace rectify::train
