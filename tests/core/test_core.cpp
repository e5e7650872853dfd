#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "bob/error.h"
#include "bob/fsutil.h"
#include "bob/log.h"

TEST_CASE("write_file_atomic replaces the whole file and leaves no temporary behind") {
  bob::fs::TempDir dir("bob-test");
  auto path = (dir.path() / "out.txt").string();
  bob::fs::write_file_atomic(path, "first");
  bob::fs::write_file_atomic(path, "second version");
  CHECK(bob::fs::read_file(path) == "second version");
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE("write_file_atomic in pieces: the whole content, or on failure the old file untouched") {
  bob::fs::TempDir dir("bob-test");
  auto path = (dir.path() / "out.txt").string();
  bob::fs::write_file_atomic(path, [](const bob::fs::PieceWriter& write) {
    write("first ");
    write("");
    write(std::string(100000, 'x'));
  });
  CHECK(bob::fs::read_file(path) == "first " + std::string(100000, 'x'));
  auto failing = [](const bob::fs::PieceWriter& write) {
    write("half of a new ");
    throw bob::Error(bob::Exit::usage, "the producer failed");
  };
  CHECK_THROWS_WITH(bob::fs::write_file_atomic(path, failing), "the producer failed");
  CHECK(bob::fs::read_file(path) == "first " + std::string(100000, 'x'));
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 1);  // the temporary file is gone
}

TEST_CASE("write_file_atomic into a missing directory fails with a usage error and writes nothing") {
  bob::fs::TempDir dir("bob-test");
  auto path = (dir.path() / "missing" / "out.txt").string();
  try {
    bob::fs::write_file_atomic(path, "x");
    FAIL("expected an error");
  } catch (const bob::Error& e) {
    CHECK(e.code() == bob::Exit::usage);
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("write_file_atomic keeps an existing file's mode, but never widens a secret") {
  bob::fs::TempDir dir("bob-test");
  auto path = (dir.path() / "out.txt").string();
  bob::fs::write_file_atomic(path, "first");
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  bob::fs::write_file_atomic(path, "second");
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 07777) == 0600);
  REQUIRE(::chmod(path.c_str(), 0755) == 0);
  bob::fs::write_file_atomic(path, "third");
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 07777) == 0755);
  bob::fs::write_file_atomic(path, "secret", 0600);
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 07777) == 0700);
  CHECK(bob::fs::read_file(path) == "secret");
}

TEST_CASE("write_file_atomic writes through a symbolic link and keeps the link") {
  bob::fs::TempDir dir("bob-test");
  auto real = dir.path() / "real.yaml";
  auto link = dir.path() / "link.yaml";
  bob::fs::write_file_atomic(real.string(), "old");
  std::filesystem::create_symlink("real.yaml", link);
  bob::fs::write_file_atomic(link.string(), "new");
  CHECK(std::filesystem::is_symlink(link));
  CHECK(bob::fs::read_file(real.string()) == "new");
  // A dangling link names the file to create.
  auto dangling = dir.path() / "dangling.yaml";
  std::filesystem::create_symlink("made.yaml", dangling);
  bob::fs::write_file_atomic(dangling.string(), "made");
  CHECK(std::filesystem::is_symlink(dangling));
  CHECK(bob::fs::read_file((dir.path() / "made.yaml").string()) == "made");
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 4);  // no temporary file left
}

TEST_CASE("write_file_atomic drops setuid bits, never hands a secret to another owner, and "
          "refuses other users' links and unread FIFOs") {
  bob::fs::TempDir dir("bob-test");
  auto path = (dir.path() / "tool").string();
  bob::fs::write_file_atomic(path, "one");
  REQUIRE(::chmod(path.c_str(), 04755) == 0);
  bob::fs::write_file_atomic(path, "two");
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 07777) == 0755);

  // A FIFO nobody reads is an error at once, not a hang.
  auto fifo = (dir.path() / "fifo").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH_AS(bob::fs::write_file_atomic(fifo, "x"),
                       doctest::Contains("a FIFO that nobody reads"), bob::Error);

  if (::geteuid() != 0) return;  // the rest needs to create files of another user
  const uid_t other = 65534;     // nobody
  auto key = (dir.path() / "key.pem").string();
  bob::fs::write_file_atomic(key, "old");
  REQUIRE(::chown(key.c_str(), other, other) == 0);
  bob::fs::write_file_atomic(key, "private", 0600);
  REQUIRE(::stat(key.c_str(), &info) == 0);
  CHECK(info.st_uid == ::geteuid());
  CHECK((info.st_mode & 077) == 0);

  auto victim = (dir.path() / "victim").string();
  bob::fs::write_file_atomic(victim, "untouched");
  auto planted = dir.path() / "planted.yaml";
  std::filesystem::create_symlink("victim", planted);
  REQUIRE(::lchown(planted.c_str(), other, other) == 0);
  CHECK_THROWS_WITH_AS(bob::fs::write_file_atomic(planted.string(), "evil"),
                       doctest::Contains("symbolic link of another user"), bob::Error);
  CHECK(bob::fs::read_file(victim) == "untouched");
}

TEST_CASE("write_file_atomic refuses a directory and writes into a device without replacing it") {
  bob::fs::TempDir dir("bob-test");
  try {
    bob::fs::write_file_atomic(dir.path().string(), "x");
    FAIL("expected an error");
  } catch (const bob::Error& e) {
    CHECK(e.code() == bob::Exit::usage);
    CHECK(std::string(e.what()).find("is a directory") != std::string::npos);
  }
  bob::fs::write_file_atomic("/dev/null", "discarded");
  struct stat info {};
  REQUIRE(::stat("/dev/null", &info) == 0);
  CHECK(S_ISCHR(info.st_mode));
}

TEST_CASE("read_file enforces its size bound") {
  bob::fs::TempDir dir("bob-test");
  auto path = (dir.path() / "big").string();
  bob::fs::write_file_atomic(path, std::string(1000, 'a'));
  CHECK(bob::fs::read_file(path, 1000).size() == 1000);
  CHECK_THROWS_AS(bob::fs::read_file(path, 999), bob::Error);
}

TEST_CASE("redact masks every registered secret, longest first") {
  bob::log::add_secret("hunter2-token");
  bob::log::add_secret("hunter2");
  CHECK(bob::log::redact("Authorization: Bearer hunter2-token") == "Authorization: Bearer ***");
  CHECK(bob::log::redact("pw=hunter2;") == "pw=***;");
  CHECK(bob::log::redact("nothing here") == "nothing here");
  bob::log::add_secret("abc");  // too short to mask safely
  CHECK(bob::log::redact("abc") == "abc");
}

TEST_CASE("TempDir removes its directory") {
  std::filesystem::path kept;
  {
    bob::fs::TempDir dir("bob-test");
    kept = dir.path();
    std::ofstream(kept / "f") << "x";
    CHECK(std::filesystem::exists(kept / "f"));
  }
  CHECK_FALSE(std::filesystem::exists(kept));
}
