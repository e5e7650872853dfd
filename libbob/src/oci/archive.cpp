// The tar+gzip layer of a directory BoB: reproducible packing and defensive unpacking.
//
// Packing must give the same bytes for the same folder on every run and machine state, so the
// layer digest (and with it the BoB manifest digest) only changes when the profiles change.
// Unpacking handles bytes from a registry: before anything is trusted, a hostile archive must not
// be able to write outside the target, create links or devices, or exhaust memory or disk.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bob/artifact.h"
#include "bob/error.h"
#include "bob/fsutil.h"
#include "loaded_libs.h"

namespace bob::artifact {
namespace {

namespace stdfs = std::filesystem;

// libarchive's functions, opened on first use (loaded_libs.h).
const oci::detail::ArchiveFunctions& libarchive() { return oci::detail::archive(); }

struct ArchiveWriterDeleter {
  void operator()(struct archive* a) const { libarchive().write_free(a); }
};
struct ArchiveReaderDeleter {
  void operator()(struct archive* a) const { libarchive().read_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { libarchive().entry_free(e); }
};
using Writer = std::unique_ptr<struct archive, ArchiveWriterDeleter>;
using Reader = std::unique_ptr<struct archive, ArchiveReaderDeleter>;
using Entry = std::unique_ptr<archive_entry, EntryDeleter>;

struct SourceEntry {
  std::string name;  // relative, '/'-separated
  stdfs::path path;
  bool directory = false;
};

// Every entry under `root`, sorted bytewise by name so the archive order never depends on the
// order the file system happens to list a directory in.
std::vector<SourceEntry> list_tree(const stdfs::path& root) {
  std::vector<SourceEntry> entries;
  std::error_code ec;
  stdfs::recursive_directory_iterator it(root, stdfs::directory_options::none, ec);
  if (ec) fail(Exit::usage, root.string() + ": cannot read directory: " + ec.message());
  for (; it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) fail(Exit::usage, root.string() + ": cannot read directory: " + ec.message());
    const auto status = it->symlink_status();
    std::string name = stdfs::relative(it->path(), root).generic_string();
    if (stdfs::is_symlink(status)) {
      fail(Exit::usage, it->path().string() + ": is a symbolic link",
           "a BoB folder holds plain files and folders only; copy the target in instead");
    }
    if (stdfs::is_directory(status)) {
      entries.push_back({name, it->path(), true});
    } else if (stdfs::is_regular_file(status)) {
      entries.push_back({name, it->path(), false});
    } else {
      fail(Exit::usage, it->path().string() + ": is not a regular file or folder",
           "a BoB folder holds plain files and folders only");
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const SourceEntry& a, const SourceEntry& b) { return a.name < b.name; });
  return entries;
}

// libarchive's message for the last error on `a`, or `fallback` when it has none.
std::string archive_message(struct archive* a, const char* fallback) {
  const char* message = libarchive().error_string(a);
  return message ? message : fallback;
}

void check_write(struct archive* a, int rc, const std::string& what) {
  if (rc == ARCHIVE_OK) return;
  fail(Exit::usage, what + ": " + archive_message(a, "failed"));
}

la_ssize_t write_callback(struct archive*, void* client, const void* buffer, size_t length) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

// A name from a hostile archive, checked component by component. Returns the cleaned name
// ("./a//b" is refused, "./a/b" becomes "a/b"); the empty string means "the root itself".
std::string checked_entry_name(const char* raw, std::size_t index) {
  const std::string where = "archive entry " + std::to_string(index);
  if (raw == nullptr || *raw == '\0') fail(Exit::trust, where + " has no name");
  std::string name = raw;
  if (name.size() > 4096) fail(Exit::trust, where + " has a name longer than 4096 bytes");
  if (name.front() == '/') fail(Exit::trust, where + " '" + name + "' is an absolute path");
  if (name.rfind("./", 0) == 0) name.erase(0, 2);
  while (!name.empty() && name.back() == '/') name.pop_back();
  if (name.empty() || name == ".") return {};
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    std::string part = name.substr(start, end - start);
    if (part.empty() || part == ".") {
      fail(Exit::trust, where + " '" + name + "' has an empty or '.' path component");
    }
    if (part == "..") fail(Exit::trust, where + " '" + name + "' climbs out with '..'");
    if (part.size() > 255) fail(Exit::trust, where + " has a path component over 255 bytes");
    if (part.find('\\') != std::string::npos) {
      fail(Exit::trust, where + " '" + name + "' contains a backslash");
    }
    start = end + 1;
  }
  return name;
}

std::string kind_name(mode_t type) {
  switch (type) {
    case AE_IFLNK: return "a symbolic link";
    case AE_IFCHR: return "a character device";
    case AE_IFBLK: return "a block device";
    case AE_IFIFO: return "a FIFO";
    case AE_IFSOCK: return "a socket";
    default: return "a special file";
  }
}

void write_extracted_file(struct archive* reader, const stdfs::path& path, const std::string& name,
                          std::uint64_t max_entry_bytes, std::uint64_t& total,
                          std::uint64_t max_total_bytes) {
  // O_EXCL and O_NOFOLLOW: the staging directory is private and new, and nothing in it may be
  // overwritten or followed, whatever the archive says.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) fail(Exit::usage, path.string() + ": cannot create: " + std::strerror(errno));
  std::uint64_t written = 0;
  char buffer[65536];
  for (;;) {
    la_ssize_t n = libarchive().read_data(reader, buffer, sizeof buffer);
    if (n < 0) {
      ::close(fd);
      fail(Exit::trust, "archive entry '" + name + "' is corrupt: " +
                            archive_message(reader, "?"));
    }
    if (n == 0) break;
    written += static_cast<std::uint64_t>(n);
    total += static_cast<std::uint64_t>(n);
    if (written > max_entry_bytes || total > max_total_bytes) {
      ::close(fd);
      fail(Exit::trust, "archive entry '" + name + "' exceeds the size limit (" +
                            std::to_string(max_entry_bytes) + " bytes per file, " +
                            std::to_string(max_total_bytes) + " in total)");
    }
    const char* p = buffer;
    std::size_t left = static_cast<std::size_t>(n);
    while (left > 0) {
      ssize_t w = ::write(fd, p, left);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        ::close(fd);
        fail(Exit::usage, path.string() + ": cannot write: " + std::strerror(errno));
      }
      p += w;
      left -= static_cast<std::size_t>(w);
    }
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    fail(Exit::usage, path.string() + ": cannot write: " + std::strerror(errno));
  }
}

}  // namespace

std::string pack_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!stdfs::is_directory(dir, ec)) fail(Exit::usage, dir.string() + ": is not a directory");
  const auto entries = list_tree(dir);
  bool has_file = std::any_of(entries.begin(), entries.end(),
                              [](const SourceEntry& e) { return !e.directory; });
  if (!has_file) fail(Exit::usage, dir.string() + ": holds no files", "nothing to push");

  std::string out;
  Writer writer(libarchive().write_new());
  struct archive* a = writer.get();
  // pax_restricted writes plain ustar headers unless a name needs an extension record, and
  // never adds access or change times.
  check_write(a, libarchive().write_set_format_pax_restricted(a), "tar format");
  check_write(a, libarchive().write_add_filter_gzip(a), "gzip filter");
  // No timestamp in the gzip header (libarchive writes no file name), fixed level.
  // Limitation: the compressed bytes depend on the zlib build; the same folder gives the same
  // digest on one machine and across Debian 12 hosts, but another zlib may compress differently.
  check_write(a, libarchive().write_set_filter_option(a, "gzip", "timestamp", nullptr),
              "gzip option");
  check_write(a, libarchive().write_set_filter_option(a, "gzip", "compression-level", "9"),
              "gzip option");
  check_write(a, libarchive().write_set_bytes_in_last_block(a, 1), "tar padding");
  check_write(a, libarchive().write_open(a, &out, nullptr, write_callback, nullptr), "archive");

  for (const auto& source : entries) {
    Entry entry(libarchive().entry_new());
    libarchive().entry_set_pathname(entry.get(), source.name.c_str());
    libarchive().entry_set_uid(entry.get(), 0);
    libarchive().entry_set_gid(entry.get(), 0);
    libarchive().entry_set_mtime(entry.get(), 0, 0);
    std::string bytes;
    if (source.directory) {
      libarchive().entry_set_filetype(entry.get(), AE_IFDIR);
      libarchive().entry_set_perm(entry.get(), 0755);
      libarchive().entry_set_size(entry.get(), 0);
    } else {
      bytes = fs::read_file(source.path.string());
      libarchive().entry_set_filetype(entry.get(), AE_IFREG);
      libarchive().entry_set_perm(entry.get(), 0644);
      libarchive().entry_set_size(entry.get(), static_cast<la_int64_t>(bytes.size()));
    }
    check_write(a, libarchive().write_header(a, entry.get()), source.name);
    if (!bytes.empty()) {
      la_ssize_t n = libarchive().write_data(a, bytes.data(), bytes.size());
      if (n < 0 || static_cast<std::size_t>(n) != bytes.size()) {
        fail(Exit::usage, source.name + ": cannot add to the archive");
      }
    }
  }
  check_write(a, libarchive().write_close(a), "archive");
  // The gzip header is 10 bytes; bytes 4..7 hold the modification time. libarchive 3.6 honours
  // the option above; this guards against a build that silently ignores it.
  if (out.size() >= 8) std::fill(out.begin() + 4, out.begin() + 8, '\0');
  return out;
}

void unpack_archive(std::string_view tgz, const std::filesystem::path& dir,
                    const ArchiveLimits& limits) {
  std::error_code ec;
  if (!stdfs::is_directory(dir, ec) || !stdfs::is_empty(dir, ec)) {
    fail(Exit::usage, dir.string() + ": must be an existing empty directory to unpack into");
  }
  Reader reader(libarchive().read_new());
  struct archive* a = reader.get();
  libarchive().read_support_filter_gzip(a);
  libarchive().read_support_format_tar(a);
  if (libarchive().read_open_memory(a, tgz.data(), tgz.size()) != ARCHIVE_OK) {
    fail(Exit::trust, std::string("the profile archive is not a tar+gzip archive: ") +
                          archive_message(a, "?"));
  }
  std::set<std::string> directories;
  std::set<std::string> files;
  std::uint64_t total = 0;
  std::size_t count = 0;
  archive_entry* entry = nullptr;
  for (;;) {
    int rc = libarchive().read_next_header(a, &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK) {
      fail(Exit::trust, std::string("the profile archive is corrupt: ") +
                            archive_message(a, "?"));
    }
    ++count;
    if (count > limits.max_entries) {
      fail(Exit::trust, "the profile archive has more than " +
                            std::to_string(limits.max_entries) + " entries");
    }
    std::string name = checked_entry_name(libarchive().entry_pathname(entry), count);
    if (libarchive().entry_hardlink(entry) != nullptr) {
      fail(Exit::trust, "archive entry '" + name + "' is a hard link");
    }
    const mode_t type = libarchive().entry_filetype(entry);
    if (type != AE_IFREG && type != AE_IFDIR) {
      fail(Exit::trust, "archive entry '" + name + "' is " + kind_name(type));
    }
    if (name.empty()) continue;  // "./" itself
    if (files.count(name) || (type == AE_IFREG && directories.count(name))) {
      fail(Exit::trust, "archive entry '" + name + "' appears twice");
    }
    // Every parent must be a folder, never a file named earlier in the archive.
    for (std::size_t slash = name.find('/'); slash != std::string::npos;
         slash = name.find('/', slash + 1)) {
      std::string parent = name.substr(0, slash);
      if (files.count(parent)) {
        fail(Exit::trust, "archive entry '" + name + "' lies under the file '" + parent + "'");
      }
      directories.insert(parent);
    }
    const stdfs::path target = dir / name;
    stdfs::create_directories(target.parent_path(), ec);
    if (ec) fail(Exit::usage, target.parent_path().string() + ": " + ec.message());
    if (type == AE_IFDIR) {
      directories.insert(name);
      stdfs::create_directories(target, ec);
      if (ec) fail(Exit::usage, target.string() + ": " + ec.message());
      continue;
    }
    if (libarchive().entry_size_is_set(entry) &&
        static_cast<std::uint64_t>(libarchive().entry_size(entry)) > limits.max_entry_bytes) {
      fail(Exit::trust, "archive entry '" + name + "' exceeds the size limit of " +
                            std::to_string(limits.max_entry_bytes) + " bytes");
    }
    files.insert(name);
    write_extracted_file(a, target, name, limits.max_entry_bytes, total, limits.max_total_bytes);
  }
  if (files.empty()) fail(Exit::trust, "the profile archive holds no files");
}

}  // namespace bob::artifact
