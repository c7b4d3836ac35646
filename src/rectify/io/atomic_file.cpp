#include "rectify/io/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace rectify::io {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail_at(const std::string& file, const std::string& what) {
  throw FileError(fmt::format("{}: {}", file, what));
}

// Makes a rename inside the directory of `path` durable.
void sync_directory_of(const fs::path& path) {
  const auto dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail_at(dir.string(), fmt::format("cannot open to sync: {}", std::strerror(errno)));
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) fail_at(dir.string(), fmt::format("fsync failed: {}", std::strerror(error)));
}

}  // namespace

std::string_view file_type_name(unsigned mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

fs::path replace_target(const fs::path& path) {
  const std::string name = path.string();
  if (name.empty()) fail_at("''", "an empty path names no file");
  fs::path target = path;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    std::error_code ec;
    target = fs::canonical(path, ec);
    if (ec) {
      fail_at(name, fmt::format("is a symbolic link that cannot be followed: {}", ec.message()));
    }
  }
  if (::stat(target.c_str(), &st) != 0) {
    if (errno == ENOENT) return target;  // a new file; its directory is checked on creation
    fail_at(name, fmt::format("cannot access: {}", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    fail_at(name, fmt::format("is {}; only a regular file is replaced (or a new file written)",
                              file_type_name(st.st_mode)));
  }
  if (::access(target.c_str(), W_OK) != 0) {
    fail_at(name, fmt::format("cannot overwrite: {}", std::strerror(errno)));
  }
  return target;
}

AtomicFile::AtomicFile(const fs::path& target, const AtomicFileOptions& options)
    : target_(replace_target(target)) {
  struct stat old {};
  const bool replacing = ::stat(target_.c_str(), &old) == 0;
  unchanged_ =
      fmt::format("; {} {}", target_.string(), replacing ? "is unchanged" : "was not written");
  if (options.unique_temp) {
    std::string leaf = ".";  // appended, not "." + name: GCC 12 warns of a false overlap
    leaf += target_.filename().string();
    leaf += ".XXXXXX";
    std::string name = (target_.parent_path() / leaf).string();
    fd_ = ::mkostemp(name.data(), O_CLOEXEC);  // mode 0600 until set below
    if (fd_ < 0) fail(target_.string(), "cannot create a temporary file beside it", errno);
    temp_ = name;
  } else {
    temp_ = target_.string() + ".tmp";
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                 static_cast<mode_t>(options.new_file_mode));
    if (fd_ < 0) {
      const int error = errno;
      temp_.clear();  // not ours to remove
      fail(target_.string() + ".tmp", "cannot create", error);
    }
  }
  mode_t mode = 0;
  if (replacing) {
    mode = old.st_mode & 07777;
  } else if (options.unique_temp) {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = static_cast<mode_t>(options.new_file_mode) & ~mask;
  }
  if ((replacing || options.unique_temp) && ::fchmod(fd_, mode) != 0) {
    fail(temp_.string(), fmt::format("cannot set the mode of {}", target_.string()), errno);
  }
}

AtomicFile::~AtomicFile() {
  if (!committed_) discard();
}

void AtomicFile::discard() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
}

void AtomicFile::fail(const std::string& file, const std::string& what, int error) {
  discard();
  fail_at(file, fmt::format("{}: {}{}", what, std::strerror(error), unchanged_));
}

void AtomicFile::write(const void* bytes, std::size_t size) {
  const auto* p = static_cast<const char*>(bytes);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(temp_.string(), "write failed", errno);
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

void AtomicFile::close() {
  if (::fsync(fd_) != 0) fail(temp_.string(), "fsync failed", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail(temp_.string(), "close failed", errno);
}

void AtomicFile::commit() {
  if (fd_ >= 0) {
    close();
  } else {
    // Closed earlier and written by another program since: flush what it wrote.
    fd_ = ::open(temp_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) fail(temp_.string(), "cannot open to sync", errno);
    close();
  }
  if (std::rename(temp_.c_str(), target_.c_str()) != 0) {
    fail(target_.string(), "cannot replace", errno);
  }
  temp_.clear();
  committed_ = true;
  sync_directory_of(target_);
}

void write_file_atomically(const fs::path& target, std::string_view bytes,
                           const AtomicFileOptions& options) {
  AtomicFile file(target, options);
  file.write(bytes);
  file.commit();
}

}  // namespace rectify::io
