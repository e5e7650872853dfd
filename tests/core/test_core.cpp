#include <doctest/doctest.h>

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
