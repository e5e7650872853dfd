// Table tests for the matchers: every vector of profile-format.md §6.3, §7.2 and §7.3, plus edge
// cases (unicode, long paths, many `*`, IPv6).
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "bob/match.h"

using bob::match::Semantics;
using namespace bob::match;

namespace {

const std::string D = "\xE2\x8B\xAF";       // ⋯
const std::string DD = D + D;               // ⋯⋯

struct PathCase {
  std::string pattern;
  std::string path;
  bool v2025;
  bool v2026;
};

void check_cases(const std::vector<PathCase>& cases) {
  for (const auto& c : cases) {
    CAPTURE(c.pattern);
    CAPTURE(c.path);
    CHECK(compare_dynamic(c.pattern, c.path, Semantics::v2025) == c.v2025);
    CHECK(compare_dynamic(c.pattern, c.path, Semantics::v2026) == c.v2026);
  }
}

}  // namespace

TEST_CASE("compare_dynamic: the reference vectors of §7.2") {
  check_cases({
      {"/proc/" + D + "/stat", "/proc/42/stat", true, true},
      {"/proc/" + D + "/stat", "/proc/42/task/7/stat", false, false},
      {"/etc/*", "/etc/passwd", false, true},
      {"/etc/*", "/etc", false, false},
      {"/a/*/b", "/a/b", false, true},
      {"/a/*/b", "/a/x/y/b", false, true},
      {"/data", "/data/", false, true},
      {"*", "/", false, true},
      {"/var/log/*.log", "/var/log/a.log", false, false},
  });
}

TEST_CASE("compare_dynamic: rules 1-7 of the 2026 semantics, one by one") {
  check_cases({
      // 1. empty strings never match, not even each other.
      {"", "", false, false},
      {"", "/", false, false},
      {"/", "", false, false},
      {"*", "", false, false},
      // 2. trailing slashes dropped in 2026, anchor kept.
      {"/etc/", "/etc", false, true},
      {"/etc/passwd/", "/etc/passwd", false, true},
      {"/x", "x", false, false},
      {"x", "/x", false, false},
      {"/", "/", true, true},
      {"/", "//", false, true},
      // 3. ⋯ is exactly one segment; literals byte-equal.
      {"/a/" + D, "/a", false, false},
      {"/a/" + D, "/a/b", true, true},
      {"/a/" + D, "/a/b/c", false, false},
      {"/a/" + D + "/c", "/a//c", true, true},  // an empty segment is still a segment
      {"/A/b", "/a/b", false, false},
      // 4. mid `*` is zero or more.
      {"/a/*/c", "/a/c", false, true},
      {"/a/*/c", "/a/b/c", false, true},
      {"/a/*/c", "/a/b/b/b/c", false, true},
      {"/a/*/c", "/a/b/c/d", false, false},
      {"/*/passwd", "/etc/passwd", false, true},
      {"/*/passwd", "/passwd", false, true},
      // 5. trailing `*` is one or more.
      {"/etc/*", "/etc/a/b", false, true},
      {"/etc/*", "/etc/", false, false},
      {"/*", "/", false, false},
      {"/*", "/x", false, true},
      // 6. bare `*` matches everything non-empty.
      {"*", "/etc/passwd", false, true},
      {"*", "relative", false, true},
      // 7. adjacent `*` collapse: /a/*/*/b is /a/*/b; a trailing run is a trailing `*`.
      {"/a/*/*/b", "/a/b", false, true},
      {"/a/*/*/*", "/a", false, false},
      {"/a/*/*/*", "/a/x", false, true},
      // `*` mixed with ⋯.
      {"/a/*/" + D, "/a", false, false},
      {"/a/*/" + D, "/a/x", false, true},
      {"/a/" + D + "/*", "/a/x", false, false},
      {"/a/" + D + "/*", "/a/x/y", false, true},
      // 2025 `*` is literal.
      {"/etc/*", "/etc/*", true, true},
  });
}

TEST_CASE("compare_dynamic: partial-segment tokens are literals") {
  check_cases({
      {"/run/" + D + ".scope", "/run/abc.scope", false, false},
      {"/run/" + D + ".scope", "/run/" + D + ".scope", true, true},
      {"/etc/apache2.pid.*", "/etc/apache2.pid.1", false, false},
      {"/lib/" + DD, "/lib/x", false, false},
      {"/a/**", "/a/b", false, false},
  });
}

TEST_CASE("compare_dynamic: unicode segments are compared bytewise") {
  check_cases({
      {"/home/" + D + "/\xC3\xA9t\xC3\xA9", "/home/zo\xC3\xAB/\xC3\xA9t\xC3\xA9", true, true},
      {"/home/\xC3\xA9", "/home/e\xCC\x81", false, false},  // NFC vs NFD are different bytes
      {"/" + D, "/\xE2\x8B\xAF", true, true},              // a literal ⋯ in a path is one segment
      {"/\xF0\x9F\x98\x80/*", "/\xF0\x9F\x98\x80/x", false, true},
  });
}

TEST_CASE("compare_dynamic: many `*` and long paths stay fast and correct") {
  // 30 non-adjacent `*` separated by literal `a` against a path of 2,000 `a` ending in `b`: a
  // naive backtracking matcher explores exponentially many splits before failing.
  std::string pattern;
  for (int i = 0; i < 30; ++i) pattern += "/*/a";
  pattern += "/c";
  std::string path;
  for (int i = 0; i < 2000; ++i) path += "/a";
  CHECK_FALSE(compare_dynamic(pattern, path + "/b"));
  CHECK(compare_dynamic(pattern, path + "/c"));
  CHECK_FALSE(compare_dynamic(pattern, "/a/a/c"));  // 30 `a` are required

  std::string deep = "/r";
  for (int i = 0; i < 5000; ++i) deep += "/segment" + std::to_string(i);
  CHECK(compare_dynamic("/r/*", deep));
  CHECK(compare_dynamic("/r/*/segment4999", deep));
  CHECK_FALSE(compare_dynamic("/r/*/segment5000", deep));
  CHECK(compare_dynamic(deep, deep, Semantics::v2025));
}

TEST_CASE("is_path_pattern and partial-segment detection") {
  CHECK(is_path_pattern("/proc/" + D + "/stat", Semantics::v2025));
  CHECK_FALSE(is_path_pattern("/etc/*", Semantics::v2025));
  CHECK(is_path_pattern("/etc/*", Semantics::v2026));
  CHECK(is_path_pattern("*", Semantics::v2026));
  CHECK_FALSE(is_path_pattern("/etc/*.conf", Semantics::v2026));
  CHECK_FALSE(is_path_pattern("/run/" + D + ".scope", Semantics::v2026));

  CHECK(is_partial_segment_wildcard("*.conf"));
  CHECK(is_partial_segment_wildcard("apache2.pid.*"));
  CHECK(is_partial_segment_wildcard(D + ".service"));
  CHECK(is_partial_segment_wildcard(DD));
  CHECK(is_partial_segment_wildcard("**"));
  CHECK_FALSE(is_partial_segment_wildcard("*"));
  CHECK_FALSE(is_partial_segment_wildcard(D));
  CHECK_FALSE(is_partial_segment_wildcard("passwd"));
  CHECK(partial_segment_wildcards("/etc/*/x.*/" + D + "/cri-" + D + ".scope") ==
        std::vector<std::string>{"x.*", "cri-" + D + ".scope"});
  CHECK(partial_segment_wildcards("/proc/" + D + "/stat").empty());
}

TEST_CASE("compare_exec_args: the reference examples of §7.3") {
  using V = std::vector<std::string>;
  CHECK(compare_exec_args({"redis-server", DD}, {"redis-server"}));
  CHECK(compare_exec_args({"redis-server", DD},
                          {"redis-server", "/etc/redis.conf", "--port", "6379"}));
  CHECK_FALSE(compare_exec_args({"/plugins/*"}, {"/plugins/evil.so"}));
  CHECK(compare_exec_args({"cat", "/proc/" + D + "/status"}, {"cat", "/proc/1/status"}));
  // Empty profile args: no constraint.
  CHECK(compare_exec_args({}, {"anything", "at", "all"}));
  CHECK(compare_exec_args(V{}, V{}));
}

TEST_CASE("compare_exec_args: anchoring, ⋯, ⋯⋯ and segment-wise tokens") {
  using V = std::vector<std::string>;
  CHECK_FALSE(compare_exec_args({"ls"}, {"ls", "-l"}));            // anchored at the end
  CHECK_FALSE(compare_exec_args({"-l"}, {"ls", "-l"}));            // and at the start
  CHECK(compare_exec_args({"ls", D}, {"ls", "-l"}));
  CHECK_FALSE(compare_exec_args({"ls", D}, {"ls"}));               // ⋯ is exactly one arg
  CHECK_FALSE(compare_exec_args({"ls", D}, {"ls", "-l", "-a"}));
  CHECK(compare_exec_args({DD}, {}));
  CHECK(compare_exec_args({DD}, {"x", "y"}));
  CHECK(compare_exec_args({"a", DD, "z"}, {"a", "z"}));
  CHECK(compare_exec_args({"a", DD, "z"}, {"a", "b", "c", "z"}));
  CHECK_FALSE(compare_exec_args({"a", DD, "z"}, {"a", "b", "c"}));
  CHECK(compare_exec_args({DD, "--port", D, DD}, {"srv", "-x", "--port", "6379", "-y"}));
  CHECK_FALSE(compare_exec_args({DD, "--port", D, DD}, {"srv", "--port"}));
  // A token containing ⋯ compares segment-wise; counts must agree; `*` inside is literal.
  CHECK(compare_exec_args({"/var/" + D + "/x"}, {"/var/lib/x"}));
  CHECK_FALSE(compare_exec_args({"/var/" + D + "/x"}, {"/var/lib/y/x"}));
  CHECK_FALSE(compare_exec_args({"/var/" + D + "/*"}, {"/var/lib/x"}));
  CHECK(compare_exec_args({"/var/" + D + "/*"}, {"/var/lib/*"}));
  CHECK_FALSE(compare_exec_args({"--conf=" + D}, {"--conf=x"}));  // one segment "--conf=⋯" is literal
  CHECK(compare_exec_args({"*"}, {"*"}));
  CHECK_FALSE(compare_exec_args({"*"}, {"x"}));
  // Many ⋯⋯ against a long argv that fails at the very end: memoised, so this returns at once.
  V profile;
  for (int i = 0; i < 40; ++i) {
    profile.push_back(DD);
    profile.push_back("a");
  }
  profile.push_back("end");
  V argv(3000, "a");
  argv.push_back("nope");
  CHECK_FALSE(compare_exec_args(profile, argv));
  argv.back() = "end";
  CHECK(compare_exec_args(profile, argv));
}

TEST_CASE("match_exec_args: argsRequired") {
  using V = std::vector<std::string>;
  CHECK(match_exec_args({"a"}, false, {"b"}));
  CHECK(match_exec_args(V{}, true, V{}));
  CHECK_FALSE(match_exec_args(V{}, true, V{"x"}));
  CHECK(match_exec_args({"x", DD}, true, {"x", "1"}));
  CHECK_FALSE(match_exec_args({"x"}, true, {"x", "1"}));
  CHECK(exec_args_equal({"/bin/cat", "index.html"}, {"/bin/cat", "index.html"}));
  CHECK_FALSE(exec_args_equal({"/bin/cat", D}, {"/bin/cat", "index.html"}));
}

TEST_CASE("match_exec_path: 2025 exact, 2026 exact then pattern") {
  CHECK(match_exec_path("/bin/sh", "/bin/sh", Semantics::v2025));
  CHECK_FALSE(match_exec_path("/bin/" + D, "/bin/sh", Semantics::v2025));
  CHECK(match_exec_path("/bin/" + D, "/bin/sh", Semantics::v2026));
  CHECK(match_exec_path("/usr/*", "/usr/bin/dash", Semantics::v2026));
  CHECK_FALSE(match_exec_path("/usr/*", "/usr", Semantics::v2026));
  CHECK(match_exec_path("./server", "./server", Semantics::v2025));
  CHECK_FALSE(match_exec_path("", "", Semantics::v2026));
}

TEST_CASE("flags_subset: event flags must all be among the entry's, in any order") {
  using V = std::vector<std::string>;
  CHECK(flags_subset({"O_RDONLY"}, {"O_CLOEXEC", "O_RDONLY"}));
  CHECK(flags_subset({"O_CLOEXEC", "O_RDONLY"}, {"O_RDONLY", "O_CLOEXEC"}));
  CHECK_FALSE(flags_subset({"O_RDONLY", "O_CREAT"}, {"O_RDONLY"}));
  CHECK(flags_subset(V{}, V{}));
  CHECK(flags_subset(V{}, V{"O_RDONLY"}));
  CHECK_FALSE(flags_subset(V{"O_RDONLY"}, V{}));
}

TEST_CASE("match_dns_name: 2025 literal, 2026 patterns of §6.3") {
  CHECK(match_dns_name("google.com.", "google.com.", Semantics::v2025));
  CHECK_FALSE(match_dns_name("*.google.com.", "www.google.com.", Semantics::v2025));
  CHECK(match_dns_name("google.com.", "GOOGLE.com"));            // case and trailing dot
  CHECK(match_dns_name("*.google.com.", "www.google.com."));     // leading `*`: one label
  CHECK_FALSE(match_dns_name("*.google.com.", "a.b.google.com."));
  CHECK_FALSE(match_dns_name("*.google.com.", "google.com."));
  CHECK(match_dns_name("api." + D + ".example.com.", "api.eu.example.com."));
  CHECK_FALSE(match_dns_name("api." + D + ".example.com.", "api.example.com."));
  CHECK(match_dns_name("svc.*", "svc.cluster.local."));           // trailing `*`: one or more
  CHECK(match_dns_name("svc.*", "svc.local."));
  CHECK_FALSE(match_dns_name("svc.*", "svc."));
  CHECK_FALSE(match_dns_name("*", "com."));                      // rejected as a pattern
  CHECK_FALSE(match_dns_name("**.com.", "a.com."));
  CHECK_FALSE(match_dns_name("a..com.", "a..com."));
  CHECK_FALSE(match_dns_name("", ""));
}

TEST_CASE("match_ip: literals, CIDRs (v4 and v6) and `*`") {
  CHECK(match_ip("10.0.0.1", "10.0.0.1"));
  CHECK_FALSE(match_ip("10.0.0.1", "10.0.0.2"));
  CHECK(match_ip("10.43.0.0/16", "10.43.200.7"));
  CHECK_FALSE(match_ip("10.43.0.0/16", "10.44.0.1"));
  CHECK(match_ip("10.96.0.0/12", "10.111.255.255"));
  CHECK_FALSE(match_ip("10.96.0.0/12", "10.112.0.0"));
  CHECK(match_ip("0.0.0.0/0", "192.168.1.1"));
  CHECK(match_ip("10.0.0.1/32", "10.0.0.1"));
  CHECK(match_ip("::1", "0:0:0:0:0:0:0:1"));
  CHECK(match_ip("fd00::/8", "fd12:3456::1"));
  CHECK_FALSE(match_ip("fd00::/8", "fe80::1"));
  CHECK(match_ip("2001:db8::/33", "2001:db8:7fff::1"));
  CHECK_FALSE(match_ip("2001:db8::/33", "2001:db8:8000::1"));
  CHECK(match_ip("10.0.0.1", "::ffff:10.0.0.1"));          // IPv4-mapped is the same address
  CHECK(match_ip("10.0.0.0/8", "::ffff:10.1.2.3"));
  CHECK_FALSE(match_ip("10.0.0.0/8", "fd00::a00:1"));
  CHECK(match_ip("*", "fe80::1"));
  CHECK_FALSE(match_ip("*", "not-an-ip"));
  CHECK_FALSE(match_ip("10.0.0.0/33", "10.0.0.1"));
  CHECK_FALSE(match_ip("10.0.0.0/x", "10.0.0.1"));
  CHECK_FALSE(match_ip("", "10.0.0.1"));
  CHECK(is_valid_ip_pattern("fd00::/8"));
  CHECK_FALSE(is_valid_ip_pattern("fd00::/129"));
  CHECK_FALSE(is_valid_ip_pattern("example.com"));
}

TEST_CASE("endpoints: string form and matching with the port-0 wildcard") {
  CHECK(endpoint_string(8080, "/ping.php?ip=1") == ":8080/ping.php");
  CHECK(endpoint_string(80, "/") == ":80/");
  CHECK(match_endpoint(":8080/ping.php", ":8080/ping.php"));
  CHECK_FALSE(match_endpoint(":8080/ping.php", ":8081/ping.php"));
  CHECK(match_endpoint(":0/ping.php", ":8081/ping.php"));
  CHECK_FALSE(match_endpoint(":0/ping.php", ":8081/ping.php", Semantics::v2025));
  CHECK(match_endpoint(":8080/users/" + D, ":8080/users/42"));
  CHECK(match_endpoint(":0/api/*", ":443/api/v1/x"));
  CHECK_FALSE(match_endpoint(":0/api/*", ":443/api"));
  CHECK(match_endpoint(":0", ":9000"));
}

TEST_CASE("PathMatcher agrees with a linear scan and prefers literal entries") {
  using E = PathMatcher::Entry;
  std::vector<E> entries = {
      {"/etc/passwd", {"O_RDONLY"}},
      {"/etc/*", {"O_RDONLY", "O_CLOEXEC"}},
      {"/proc/" + D + "/stat", {"O_RDONLY"}},
      {"/*/shadow", {"O_RDONLY"}},
      {"*", {"O_WRONLY"}},
      {"/data/", {"O_RDWR"}},
      {"", {"O_RDONLY"}},
  };
  PathMatcher matcher(entries);
  CHECK(matcher.find("/etc/passwd", {"O_RDONLY"}) == 0);
  CHECK(matcher.find("/etc/passwd", {"O_CLOEXEC"}) == 1);  // literal lacks the flag
  CHECK(matcher.find("/etc/group", {"O_RDONLY"}) == 1);
  CHECK(matcher.find("/proc/1/stat", {"O_RDONLY"}) == 2);
  CHECK(matcher.find("/proc/1/stat", {"O_CREAT"}) == -1);
  CHECK(matcher.find("/x/y/shadow", {}) == 3);
  CHECK(matcher.find("/shadow", {}) == 3);
  CHECK(matcher.find("/anything", {"O_WRONLY"}) == 4);
  CHECK(matcher.find("/data", {"O_RDWR"}) == 5);
  CHECK(matcher.find("", {}) == -1);
  CHECK(matcher.find("/anything", {"O_RDWR"}, false) >= 0);

  PathMatcher old(entries, Semantics::v2025);
  CHECK(old.find("/etc/group", {"O_RDONLY"}) == -1);
  CHECK(old.find("/etc/*", {"O_RDONLY"}) == 1);
  CHECK(old.find("/data", {"O_RDWR"}) == -1);
  CHECK(old.find("/proc/1/stat", {"O_RDONLY"}) == 2);

  // Randomised cross-check against compare_dynamic over a family of paths.
  std::vector<std::string> paths = {"/etc", "/etc/", "/etc/a/b", "/proc/9/stat", "/proc/9/x",
                                    "/", "relative", "/shadow/x", "/a/shadow", "/data/x"};
  for (auto semantics : {Semantics::v2025, Semantics::v2026}) {
    PathMatcher m(entries, semantics);
    for (const auto& p : paths) {
      bool linear = false;
      for (const auto& e : entries) linear = linear || compare_dynamic(e.path, p, semantics);
      CAPTURE(p);
      CHECK(m.matches(p, {}, false) == linear);
    }
  }
}

TEST_CASE("PathMatcher equals a linear compare_dynamic scan on random patterns and paths") {
  // Small alphabets make collisions, `*` runs and `⋯` overlaps frequent; the seed is fixed.
  std::mt19937 rng(7);
  const std::vector<std::string> pattern_tokens = {"a", "b", D, "*", ""};
  const std::vector<std::string> path_tokens = {"a", "b", "c", ""};
  auto random_path = [&](const std::vector<std::string>& tokens, int max_len) {
    std::string s = rng() % 8 == 0 ? "" : "/";  // mostly anchored
    int len = static_cast<int>(rng() % (max_len + 1));
    for (int i = 0; i < len; ++i) s += (i ? "/" : "") + tokens[rng() % tokens.size()];
    return s.empty() ? std::string("*") : s;
  };
  for (int round = 0; round < 40; ++round) {
    std::vector<PathMatcher::Entry> entries;
    for (int i = 0; i < 12; ++i) entries.push_back({random_path(pattern_tokens, 6), {}});
    for (auto semantics : {Semantics::v2025, Semantics::v2026}) {
      PathMatcher matcher(entries, semantics);
      for (int k = 0; k < 60; ++k) {
        std::string path = random_path(path_tokens, 8);
        bool linear = false;
        for (const auto& e : entries) linear = linear || compare_dynamic(e.path, path, semantics);
        CAPTURE(path);
        CAPTURE(static_cast<int>(semantics));
        REQUIRE(matcher.matches(path, {}, false) == linear);
      }
    }
  }
}
