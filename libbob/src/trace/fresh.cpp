// bob record --fresh DIR: every run starts from the same state of DIR (docs/tracing.md).
#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include "bob/error.h"
#include "bob/trace.h"

namespace bob::trace {
namespace {

namespace fs = std::filesystem;

// True when `inner` is `outer` or lies below it (whole segments).
bool inside(const fs::path& inner, const fs::path& outer) {
  auto [o, i] = std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
  return o == outer.end();
}

void copy_contents(const fs::path& from, const fs::path& to) {
  for (const auto& entry : fs::directory_iterator(from))
    fs::copy(entry.path(), to / entry.path().filename(),
             fs::copy_options::recursive | fs::copy_options::copy_symlinks);
}

}  // namespace

FreshDirectories::FreshDirectories(const std::vector<std::string>& directories) {
  std::error_code ec;
  if (directories.empty()) return;
  fs::path cwd = fs::current_path(ec);
  if (ec)
    fail(Exit::usage, "--fresh: cannot read bob's working directory: " + ec.message(),
         "run bob from a directory that exists");
  std::vector<Entry> checked;  // all are checked before anything is copied
  for (const auto& given : directories) {
    if (given.empty()) fail(Exit::usage, "--fresh: an empty directory name");
    fs::path dir = fs::weakly_canonical(fs::absolute(given, ec), ec);
    if (ec || dir.empty()) fail(Exit::usage, "--fresh " + given + ": " + ec.message());
    if (dir == dir.root_path()) fail(Exit::usage, "--fresh " + given + ": refusing the root");
    if (inside(cwd, dir) && cwd != dir)
      fail(Exit::usage, "--fresh " + given + ": bob's working directory lies inside it",
           "run bob from the directory itself or from outside it");
    for (const auto& other : checked)
      if (inside(dir, other.directory) || inside(other.directory, dir))
        fail(Exit::usage, "--fresh " + given + " and " + other.directory.string() +
                              " are nested; give only the outer one");
    Entry entry{dir, {}, fs::is_directory(dir), fs::perms::none};
    if (!entry.existed && fs::exists(fs::symlink_status(dir)))
      fail(Exit::usage, "--fresh " + given + " is not a directory");
    checked.push_back(entry);
  }
  for (auto entry : checked) {
    if (entry.existed) {
      entry.permissions = fs::status(entry.directory).permissions();
      std::string pattern = (entry.directory.parent_path() /
                             ("." + entry.directory.filename().string() + ".bob-fresh-XXXXXX"))
                                .string();
      if (!mkdtemp(pattern.data())) {
        remove_snapshots();
        fail(Exit::usage, "--fresh " + entry.directory.string() +
                              ": cannot create its snapshot next to it");
      }
      entry.snapshot = pattern;
    }
    entries_.push_back(entry);
    if (!entry.existed) continue;
    try {
      copy_contents(entry.directory, entry.snapshot);
    } catch (const fs::filesystem_error& e) {
      remove_snapshots();  // a throwing constructor gets no destructor call
      fail(Exit::usage, "--fresh " + entry.directory.string() + ": cannot snapshot it: " +
                            e.what(),
           "only regular files, directories and symbolic links can be restored");
    }
  }
}

FreshDirectories::~FreshDirectories() { remove_snapshots(); }

void FreshDirectories::remove_snapshots() {
  std::error_code ignored;
  for (const auto& entry : entries_)
    if (!entry.snapshot.empty()) fs::remove_all(entry.snapshot, ignored);
}

void FreshDirectories::restore() {
  for (const auto& entry : entries_) {
    try {
      if (!entry.existed) {
        fs::remove_all(entry.directory);
        continue;
      }
      if (!fs::is_directory(fs::symlink_status(entry.directory))) {
        fs::remove_all(entry.directory);
        fs::create_directory(entry.directory);
      }
      for (const auto& child : fs::directory_iterator(entry.directory)) fs::remove_all(child);
      fs::permissions(entry.directory, entry.permissions);
      copy_contents(entry.snapshot, entry.directory);
    } catch (const fs::filesystem_error& e) {
      fail(Exit::inconclusive, "--fresh " + entry.directory.string() +
                                   ": cannot restore it for the next run: " + e.what());
    }
  }
}

}  // namespace bob::trace
