// File helpers that never leave a half-written file behind.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace bob::fs {

// Reads a whole file, or standard input for "-". Throws Error(usage) naming the path on failure.
// max_bytes bounds memory for hostile input.
std::string read_file(const std::string& path, std::size_t max_bytes = 256u << 20);

// Writes bytes to path atomically: a temporary file in the same directory is written, flushed to
// disk and renamed over the target, so readers see either the old file or the whole new one.
// "-" writes to standard output. A symbolic link at path is followed and its target replaced (the
// link stays); an existing file keeps its permission bits and owner, but a secret mode (no group
// or other bits) never widens; an existing device or FIFO is written to directly (not
// atomically); a directory is refused.
void write_file_atomic(const std::string& path, std::string_view bytes, unsigned mode = 0644);

// The same for content produced in pieces: `produce` is called once and hands each piece to the
// writer it is given. A regular file never holds a partial result (an exception from `produce`
// removes the temporary file); for standard output, a device or a FIFO the pieces are collected
// first, so that a failure writes nothing there either.
using PieceWriter = std::function<void(std::string_view)>;
void write_file_atomic(const std::string& path,
                       const std::function<void(const PieceWriter& write)>& produce,
                       unsigned mode = 0644);

// Fails (Error, usage) now when write_file_atomic(path, ...) would certainly fail later, by the
// same rules: a directory, a socket or block device, another user's symbolic link, a missing or
// unwritable folder, an empty path. For commands that run something first (record,
// verify-install), so that a long install is not wasted on a mistyped output path. A device or
// FIFO passes: only writing shows whether it takes the bytes (/dev/full does not).
void check_output_path(const std::string& path);

// A private temporary directory removed with everything in it when the object dies.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "bob");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Stops the destructor from deleting the directory (for debugging a failed run).
  void keep() { keep_ = true; }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

}  // namespace bob::fs
