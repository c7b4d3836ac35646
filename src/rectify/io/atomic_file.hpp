// Replacing a file all at once: the one way rectify writes a file that a crash, a full disk or a
// second Ctrl-C must not leave half-written (checkpoints, the lab's report, plots).
#pragma once

#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rectify::io {

// A file that cannot be written or replaced; the message names the file and the reason.
class FileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a stat() mode that is not a regular file's names: "a directory", "a FIFO", ...
std::string_view file_type_name(unsigned mode);

// The file a write to `path` replaces: `path`, or the file it names when it is a symbolic link
// (the new file is then written beside that file and replaces it, so the link stays). FileError
// unless that is a regular file the user may write, or does not exist yet: a device, a FIFO or a
// directory is never replaced.
std::filesystem::path replace_target(const std::filesystem::path& path);

struct AtomicFileOptions {
  // false: the temporary file is `target` + ".tmp", a name known in advance (a signal handler
  // may remove it; a stale one is overwritten); true: a new hidden name beside the target,
  // ".NAME.XXXXXX", for writers that may run side by side.
  bool unique_temp = false;
  unsigned new_file_mode = 0666;  // for a new file, less the umask; a replaced one keeps its mode
};

// Written to a temporary file beside the target (replace_target(target)), flushed to disk
// (fsync), renamed over the target, and the directory synced: a crash at any moment leaves the
// old file or the new one, never a mix. Every step is checked: a failure is a FileError naming
// the file and the reason ("run.safetensors.tmp: write failed: No space left on device;
// run.safetensors is unchanged"), and the temporary file is removed, as it is when the
// AtomicFile is destroyed without commit().
class AtomicFile {
 public:
  explicit AtomicFile(const std::filesystem::path& target, const AtomicFileOptions& options = {});
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  const std::filesystem::path& target() const { return target_; }  // as replace_target found it
  const std::filesystem::path& temp_path() const { return temp_; }

  void write(const void* bytes, std::size_t size);
  void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }
  // Flushes the temporary file to disk and closes it, e.g. for another program to write it by
  // its path; commit() then flushes what that program wrote.
  void close();
  // Renames the temporary file over the target and syncs the directory.
  void commit();

 private:
  [[noreturn]] void fail(const std::string& file, const std::string& what, int error);
  void discard() noexcept;

  std::filesystem::path target_, temp_;
  std::string unchanged_;  // "; TARGET is unchanged", the end of every message before commit
  int fd_ = -1;
  bool committed_ = false;
};

// `bytes` as the whole content of `target`, through an AtomicFile.
void write_file_atomically(const std::filesystem::path& target, std::string_view bytes,
                           const AtomicFileOptions& options = {});

}  // namespace rectify::io
