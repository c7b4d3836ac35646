// Checkpoints against hostile files: saving never replaces what is not a regular file the user
// may write, loading looks before it reads, and every number a file holds is checked like the
// command-line option it stands for.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "rectify/data/dataset.hpp"
#include "rectify/train/checkpoint.hpp"
#include "rectify/train/safetensors.hpp"
#include "rectify/train/trainer.hpp"

namespace rectify::train {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed with everything in it.
class Scratch {
 public:
  Scratch() {
    std::string pattern = (fs::temp_directory_path() / "rectify_hostile_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
  }
  ~Scratch() {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }
  std::string operator/(const std::string& name) const { return (dir_ / name).string(); }

 private:
  fs::path dir_;
};

std::string error_of(const auto& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

const std::vector<float> kValues = {1, 2, 3};

void save_small(const std::string& path) {
  save_safetensors(path, {{"k", "v"}}, {{"w", {3}, kValues}});
}

TEST(SaveTarget, AFifoIsRefusedAndLeftAsItWas) {
  const Scratch s;
  ASSERT_EQ(::mkfifo((s / "fifo").c_str(), 0644), 0);
  const auto text = error_of([&] { save_small(s / "fifo"); });
  EXPECT_NE(text.find("fifo: is a FIFO"), std::string::npos) << text;
  struct stat st {};
  ASSERT_EQ(::lstat((s / "fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_FALSE(fs::exists(s / "fifo.tmp"));
}

TEST(SaveTarget, ADirectoryIsRefused) {
  const Scratch s;
  fs::create_directory(s / "dir");
  const auto text = error_of([&] { save_small(s / "dir"); });
  EXPECT_NE(text.find("dir: is a directory"), std::string::npos) << text;
  EXPECT_TRUE(fs::is_directory(s / "dir"));
}

TEST(SaveTarget, ACharacterDeviceIsRefusedAndLeftAsItWas) {
  const Scratch s;
  // A copy of /dev/null's node inside the scratch directory (only root may make one).
  if (::mknod((s / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
    GTEST_SKIP() << "mknod needs root";
  }
  const auto text = error_of([&] { save_small(s / "null"); });
  EXPECT_NE(text.find("null: is a character device"), std::string::npos) << text;
  struct stat st {};
  ASSERT_EQ(::lstat((s / "null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(SaveTarget, ASymbolicLinkIsFollowedAndKept) {
  const Scratch s;
  fs::create_directory(s / "real");
  write_text(s / "real/target", "old");
  fs::create_symlink(s / "real/target", s / "link");
  save_small(s / "link");
  EXPECT_TRUE(fs::is_symlink(s / "link"));
  EXPECT_EQ(load_safetensors(s / "real/target").tensors.at("w").data, kValues);
  EXPECT_EQ(load_safetensors(s / "link").tensors.at("w").data, kValues);
  // The temporary file was made beside the target, and is gone.
  EXPECT_FALSE(fs::exists(s / "real/target.tmp"));
  EXPECT_FALSE(fs::exists(s / "link.tmp"));
}

TEST(SaveTarget, ADanglingLinkIsRefused) {
  const Scratch s;
  fs::create_symlink(s / "missing/target", s / "link");
  const auto text = error_of([&] { save_small(s / "link"); });
  EXPECT_NE(text.find("link: is a symbolic link that cannot be followed"), std::string::npos)
      << text;
  EXPECT_TRUE(fs::is_symlink(s / "link"));
}

TEST(SaveTarget, AReadOnlyFileIsRefusedOrKeepsItsMode) {
  const Scratch s;
  write_text(s / "ro", "old");
  ASSERT_EQ(::chmod((s / "ro").c_str(), 0444), 0);
  if (::access((s / "ro").c_str(), W_OK) != 0) {
    const auto text = error_of([&] { save_small(s / "ro"); });
    EXPECT_NE(text.find("ro: cannot overwrite: Permission denied"), std::string::npos) << text;
    EXPECT_EQ(file_text(s / "ro"), "old");
  } else {  // root may write it, as cp would: the file keeps its mode
    save_small(s / "ro");
    struct stat st {};
    ASSERT_EQ(::stat((s / "ro").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0444u);
  }
}

TEST(SaveTarget, AReplacedFileKeepsItsMode) {
  const Scratch s;
  write_text(s / "f", "old");
  ASSERT_EQ(::chmod((s / "f").c_str(), 0600), 0);
  save_small(s / "f");
  struct stat st {};
  ASSERT_EQ(::stat((s / "f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST(SaveTarget, TrainRefusesABadSavePathBeforeItTrains) {
  const Scratch s;
  ASSERT_EQ(::mkfifo((s / "fifo").c_str(), 0644), 0);
  TrainOptions o;
  o.epochs = 1;
  o.save = s / "fifo";
  int reports = 0;
  const auto text = error_of(
      [&] { train(o, data::load_fashion_mnist_sample(), {}, [&](const auto&) { ++reports; }); });
  EXPECT_NE(text.find("is a FIFO"), std::string::npos) << text;
  EXPECT_EQ(reports, 0);
}

TEST(LoadSafetensors, ADeviceIsNamedNotRead) {
  // /dev/zero would never end: the file type is looked at first.
  const auto text = error_of([] { load_safetensors("/dev/zero"); });
  EXPECT_NE(text.find("/dev/zero: is a character device"), std::string::npos) << text;
}

TEST(LoadSafetensors, ADirectoryIsNamed) {
  const Scratch s;
  fs::create_directory(s / "dir");
  const auto text = error_of([&] { load_safetensors(s / "dir"); });
  EXPECT_NE(text.find(s / "dir" + ": is a directory"), std::string::npos) << text;
}

TEST(LoadSafetensors, AHeaderLengthBeyondTheFileIsRefusedBeforeReading) {
  const Scratch s;
  std::string bytes(8, '\0');
  bytes[5] = 1;  // 2^40
  write_text(s / "f", bytes + "{}");
  const auto text = error_of([&] { load_safetensors(s / "f"); });
  EXPECT_NE(text.find("header length): 1099511627776 exceeds the 2 bytes"), std::string::npos)
      << text;
}

std::string with_header(const std::string& json) {
  std::string bytes(8, '\0');
  const std::uint64_t n = json.size();
  std::memcpy(bytes.data(), &n, 8);
  return bytes + json;
}

TEST(ParseSafetensors, AKeyGivenTwiceIsAnError) {
  const std::string tensor = R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
  const std::string twice =
      with_header(R"({"w":)" + tensor + R"(,"w":)" + tensor + "}") + std::string(4, '\0');
  const auto* p = reinterpret_cast<const std::uint8_t*>(twice.data());
  auto text = error_of([&] { parse_safetensors(std::span(p, twice.size()), "f"); });
  EXPECT_NE(text.find("f: header: key \"w\" appears twice"), std::string::npos) << text;

  const std::string meta =
      with_header(R"({"__metadata__":{"lr":"1","lr":"2"},"w":)" + tensor + "}") +
      std::string(4, '\0');
  const auto* q = reinterpret_cast<const std::uint8_t*>(meta.data());
  text = error_of([&] { parse_safetensors(std::span(q, meta.size()), "f"); });
  EXPECT_NE(text.find("key \"lr\" appears twice"), std::string::npos) << text;
}

// A real checkpoint's metadata with one field changed, read as a resumed run reads it.
std::string run_state_error(const std::string& key, const std::string& value) {
  static const SafetensorsFile good = [] {
    const Scratch s;
    TrainOptions o;
    o.epochs = 1;
    o.save = s / "good";
    train(o, data::load_fashion_mnist_sample());
    return load_safetensors(o.save);
  }();
  SafetensorsFile f = good;
  f.metadata[key] = value;
  return error_of([&] { read_run_state(f, "ckpt"); });
}

TEST(RunState, EveryNumberIsRangeChecked) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"epochs", "2147483647", "ckpt: __metadata__.epochs = 2147483647: expected 1 to 100000"},
      {"epochs", "0", "__metadata__.epochs = 0"},
      {"batch", "18446744073709551615", "__metadata__.batch = 18446744073709551615: expected 1"},
      {"batch", "0", "__metadata__.batch = 0"},
      {"lr", "-1", "__metadata__.lr = -1"},
      {"lr", "nan", "__metadata__.lr = nan"},
      {"lr", "inf", "__metadata__.lr = inf"},
      {"max_grad_norm", "-1", "__metadata__.max_grad_norm = -1"},
      {"momentum", "2", "__metadata__.momentum = 2"},
      {"weight_decay", "-0.5", "__metadata__.weight_decay = -0.5"},
      {"dropout", "1", "__metadata__.dropout = 1"},
      {"identity_init", "yes", "__metadata__.identity_init = 'yes': expected 0 or 1"},
      {"model", "bogus", "ckpt: __metadata__.model = 'bogus': unknown; known: mlp"},
      {"activation", "elu:alpha=3.5e38",
       "__metadata__.activation = 'elu:alpha=3.5e38': elu: parameter alpha must be in"},
      {"epochs_done", "-1", "inconsistent"},
      {"epoch_loss_sum", "9221120237041090560", "__metadata__.epoch_loss_sum = nan"},
  };
  for (const auto& [key, value, expected] : cases) {
    const auto text = run_state_error(key, value);
    EXPECT_NE(text.find(expected), std::string::npos) << key << " = " << value << ": " << text;
  }
  EXPECT_EQ(run_state_error("lr", "0.01"), "(no error)");
}

TEST(Resume, FewerEpochsThanDoneIsAnErrorNotAnEndlessRun) {
  const Scratch s;
  const auto data = data::load_fashion_mnist_sample();
  TrainOptions o;
  o.epochs = 2;
  o.save = s / "ckpt";
  train(o, data);
  TrainOptions resume;
  resume.epochs = 1;
  resume.resume = o.save;
  const auto text = error_of([&] { train(resume, data); });
  EXPECT_NE(text.find("--epochs 1 is fewer than the 2 epochs"), std::string::npos) << text;
}

TEST(Train, ABatchLargerThanTheDataIsAnError) {
  TrainOptions o;
  o.epochs = 1;
  o.batch = 2001;  // the sample has 2000 training images
  const auto text = error_of([&] { train(o, data::load_fashion_mnist_sample()); });
  EXPECT_NE(text.find("batch 2001 is larger than the 2000 training images"), std::string::npos)
      << text;
}

TEST(Train, TheRateInUseIsSavedNotZero) {
  const Scratch s;
  TrainOptions o;
  o.epochs = 1;
  o.save = s / "ckpt";
  train(o, data::load_fashion_mnist_sample());
  EXPECT_EQ(load_safetensors(o.save).metadata.at("lr"), "0.001");
}

}  // namespace
}  // namespace rectify::train
