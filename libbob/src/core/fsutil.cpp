#include "bob/fsutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <iterator>
#include <random>

#include "bob/error.h"

namespace bob::fs {
namespace {

std::string errno_text() { return std::strerror(errno); }

std::string read_fd(int fd, const std::string& name, std::size_t max_bytes) {
  std::string out;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(Exit::usage, name + ": cannot read: " + errno_text());
    if (n == 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
    if (out.size() > max_bytes) {
      fail(Exit::usage, name + ": larger than the limit of " + std::to_string(max_bytes) +
                            " bytes", "is this really the file you meant?");
    }
  }
  return out;
}

void write_all(int fd, std::string_view bytes, const std::string& name) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(Exit::usage, name + ": cannot write: " + errno_text());
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s(10, 'x');
  for (auto& c : s) c = alphabet[rng() % (sizeof alphabet - 1)];
  return s;
}

}  // namespace

std::string read_file(const std::string& path, std::size_t max_bytes) {
  if (path == "-") return read_fd(STDIN_FILENO, "<stdin>", max_bytes);
  // O_NONBLOCK so that opening a FIFO with no writer does not block; non-regular files are
  // refused before any read, then blocking reads are restored for the regular file.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail(Exit::usage, path + ": cannot open: " + errno_text());
  try {
    struct stat info {};
    if (::fstat(fd, &info) != 0) fail(Exit::usage, path + ": cannot stat: " + errno_text());
    if (S_ISDIR(info.st_mode)) fail(Exit::usage, path + ": is a directory, not a file");
    if (!S_ISREG(info.st_mode)) {
      fail(Exit::usage, path + ": not a regular file (a pipe, socket or device)",
           "pass a regular file, or - to read standard input");
    }
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    std::string out = read_fd(fd, path, max_bytes);
    ::close(fd);
    return out;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

namespace {

// Writes straight into an existing device or FIFO (/dev/null, /dev/stdout, a pipe): renaming over
// it would replace the device node itself (as root, /dev/null would become a regular file).
void write_to_special(const std::string& path, std::string_view bytes) {
  // Non-blocking open: a FIFO that nobody reads would otherwise block bob forever (ENXIO instead).
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0 && errno == ENXIO) fail(Exit::usage, path + ": a FIFO that nobody reads");
  if (fd < 0) fail(Exit::usage, path + ": cannot open: " + errno_text());
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  try {
    write_all(fd, bytes, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

}  // namespace

namespace {

// The file write_file_atomic(path) writes, with its stat in `info` (st_mode 0 when it does not
// exist yet); fails for what it never writes. A symbolic link at the destination is written
// through: its target is replaced atomically and the link stays a link (renaming over the link
// would silently turn it into a file). Only links of bob's own user are followed: bob often runs
// as root, and a link another user planted (in /tmp, say) must not redirect root's write to a
// file of their choice.
std::filesystem::path writable_target(const std::string& path, struct stat& info) {
  if (path.empty()) fail(Exit::usage, "the output path is empty");
  std::filesystem::path target(path);
  struct stat link_info {};
  for (int hops = 0; ::lstat(target.c_str(), &link_info) == 0 && S_ISLNK(link_info.st_mode);
       ++hops) {
    if (hops == 40) fail(Exit::usage, path + ": too many levels of symbolic links");
    if (link_info.st_uid != ::geteuid()) {
      fail(Exit::usage,
           path + ": is a symbolic link of another user (uid " +
               std::to_string(link_info.st_uid) + "); bob does not write through it",
           "remove the link or write to another path");
    }
    std::error_code ec;
    auto next = std::filesystem::read_symlink(target, ec);
    if (ec) fail(Exit::usage, path + ": cannot read the symbolic link: " + ec.message());
    target = next.is_absolute() ? next : target.parent_path() / next;
  }
  info = {};
  if (::stat(target.c_str(), &info) != 0) info.st_mode = 0;
  if (S_ISDIR(info.st_mode)) fail(Exit::usage, path + ": is a directory, not a file");
  if (info.st_mode != 0 && !S_ISREG(info.st_mode) && !S_ISCHR(info.st_mode) &&
      !S_ISFIFO(info.st_mode)) {
    fail(Exit::usage, path + ": exists and is not a regular file (a socket or block device)");
  }
  return target;
}

}  // namespace

void check_output_path(const std::string& path) {
  if (path == "-") return;
  struct stat info {};
  std::filesystem::path target = writable_target(path, info);
  if (S_ISCHR(info.st_mode) || S_ISFIFO(info.st_mode)) return;
  std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  struct stat dir_info {};
  if (::stat(dir.c_str(), &dir_info) != 0 || !S_ISDIR(dir_info.st_mode))
    fail(Exit::usage, path + ": folder " + dir.string() + " does not exist");
  if (::access(dir.c_str(), W_OK) != 0)
    fail(Exit::usage, path + ": cannot create a file in " + dir.string() + ": " + errno_text());
}

void write_file_atomic(const std::string& path, std::string_view bytes, unsigned mode) {
  write_file_atomic(path, [&](const PieceWriter& write) { write(bytes); }, mode);
}

namespace {

std::string collect(const std::function<void(const PieceWriter& write)>& produce) {
  std::string bytes;
  produce([&](std::string_view piece) { bytes.append(piece); });
  return bytes;
}

}  // namespace

void write_file_atomic(const std::string& path,
                       const std::function<void(const PieceWriter& write)>& produce,
                       unsigned mode) {
  if (path == "-") {
    write_all(STDOUT_FILENO, collect(produce), "<stdout>");
    return;
  }
  struct stat info {};
  std::filesystem::path target = writable_target(path, info);
  const bool exists = info.st_mode != 0;
  if (exists && (S_ISCHR(info.st_mode) || S_ISFIFO(info.st_mode))) {
    write_to_special(target.string(), collect(produce));
    return;
  }
  // Limitation: a SIGKILL between open and rename leaves this hidden temporary file behind (never
  // a half-written target); nothing can clean up after SIGKILL.
  std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  std::string temp = (dir / ("." + target.filename().string() + ".tmp-" + random_suffix()))
                         .string();
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) fail(Exit::usage, path + ": cannot create: " + errno_text());
  try {
    if (exists) {
      // Replacing a file keeps its permission bits (never setuid, setgid or sticky) and, where
      // allowed, its owner, except that a secret (a mode without group or other bits, like a
      // private key) never gains group or other bits and always belongs to bob's user.
      const bool secret = (mode & 077) == 0;
      mode_t keep = info.st_mode & 0777;
      if (secret) keep &= ~static_cast<mode_t>(077);
      if (::fchmod(fd, keep) != 0) fail(Exit::usage, path + ": cannot set its mode: " + errno_text());
      if (!secret && ::fchown(fd, info.st_uid, info.st_gid) != 0 && errno != EPERM) {
        fail(Exit::usage, path + ": cannot keep its owner: " + errno_text());
      }
    }
    produce([&](std::string_view piece) { write_all(fd, piece, path); });
    if (::fsync(fd) != 0) fail(Exit::usage, path + ": cannot flush: " + errno_text());
    if (::close(fd) != 0) {
      fd = -1;
      fail(Exit::usage, path + ": cannot close: " + errno_text());
    }
    fd = -1;
    if (::rename(temp.c_str(), target.c_str()) != 0) {
      fail(Exit::usage, path + ": cannot rename into place: " + errno_text());
    }
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
}

TempDir::TempDir(std::string_view prefix) {
  std::filesystem::path base = std::filesystem::temp_directory_path();
  std::string pattern = (base / (std::string(prefix) + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    fail(Exit::usage, "cannot create a temporary directory under " + base.string() + ": " +
                          errno_text());
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  if (keep_) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace bob::fs
