// io::AtomicFile: a file is replaced whole or not at all, keeps its mode, is never a FIFO or a
// directory, follows a symbolic link, and leaves no temporary file behind.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "rectify/io/atomic_file.hpp"

namespace rectify::io {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("rectify-atomic-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static unsigned mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir_), {}));
  }
  static std::string error_of(const fs::path& p) {
    try {
      write_file_atomically(p, "new");
    } catch (const FileError& e) {
      return e.what();
    }
    return "no error";
  }

  fs::path dir_;
};

TEST_F(AtomicFileTest, ReplacesAFileKeepingItsMode) {
  const auto p = dir_ / "f.txt";
  write_file_atomically(p, "old");
  ::chmod(p.c_str(), 0640);
  write_file_atomically(p, "new contents");
  EXPECT_EQ(read(p), "new contents");
  EXPECT_EQ(mode_of(p), 0640u);
  EXPECT_EQ(entries(), 1u) << "a temporary file was left";
}

TEST_F(AtomicFileTest, ANewFileGetsItsModeLessTheUmask) {
  const mode_t mask = ::umask(022);
  write_file_atomically(dir_ / "a", "x");
  write_file_atomically(dir_ / "b", "x", {.unique_temp = true});
  write_file_atomically(dir_ / "c", "x", {.new_file_mode = 0644});
  ::umask(mask);
  EXPECT_EQ(mode_of(dir_ / "a"), 0644u);
  EXPECT_EQ(mode_of(dir_ / "b"), 0644u);
  EXPECT_EQ(mode_of(dir_ / "c"), 0644u);
}

TEST_F(AtomicFileTest, NeverReplacesAFifoOrADirectory) {
  ASSERT_EQ(::mkfifo((dir_ / "fifo").c_str(), 0600), 0);
  fs::create_directory(dir_ / "dir");
  EXPECT_NE(error_of(dir_ / "fifo").find("fifo: is a FIFO"), std::string::npos);
  EXPECT_NE(error_of(dir_ / "dir").find("dir: is a directory"), std::string::npos);
  EXPECT_NE(error_of("").find("an empty path"), std::string::npos);
  EXPECT_TRUE(fs::is_fifo(dir_ / "fifo"));
  EXPECT_EQ(entries(), 2u);
}

TEST_F(AtomicFileTest, FollowsASymbolicLinkAndKeepsIt) {
  write_file_atomically(dir_ / "real", "old");
  fs::create_symlink(dir_ / "real", dir_ / "link");
  write_file_atomically(dir_ / "link", "new");
  EXPECT_TRUE(fs::is_symlink(dir_ / "link"));
  EXPECT_EQ(read(dir_ / "real"), "new");
}

TEST_F(AtomicFileTest, WithoutCommitNothingChanges) {
  const auto p = dir_ / "f";
  write_file_atomically(p, "old");
  for (const bool unique : {false, true}) {
    AtomicFile file(p, {.unique_temp = unique});
    file.write("half");
    EXPECT_TRUE(fs::exists(file.temp_path()));
    EXPECT_EQ(file.temp_path().parent_path(), p.parent_path());
  }
  EXPECT_EQ(read(p), "old");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(AtomicFileTest, CommitsWhatAnotherWriterPutInTheTemporaryFile) {
  const auto p = dir_ / "f";
  AtomicFile file(p, {.unique_temp = true});
  file.close();
  std::ofstream(file.temp_path(), std::ios::binary) << "written by another program";
  file.commit();
  EXPECT_EQ(read(p), "written by another program");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(AtomicFileTest, AFailedWriteNamesTheFileAndLeavesTheTargetAsItWas) {
  const auto p = dir_ / "f";
  write_file_atomically(p, "old");
  AtomicFile file(p);
  file.close();
  std::string message = "no error";
  try {
    file.write("more");  // the temporary file is closed: the write fails
  } catch (const FileError& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("f.tmp: write failed"), std::string::npos) << message;
  EXPECT_NE(message.find("f is unchanged"), std::string::npos) << message;
  EXPECT_EQ(read(p), "old");
  EXPECT_FALSE(fs::exists(dir_ / "f.tmp"));
}

}  // namespace
}  // namespace rectify::io
