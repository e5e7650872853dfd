// Matcher throughput: open events matched per second against a profile of 1,000 entries with
// wildcards, on one core. Three ways to answer the same events, measured in the same run:
//   baseline  exact lookup in a hash set of the entry strings (the floor: no wildcard semantics)
//   linear    compare_dynamic + flags against every entry until one matches (naive scan)
//   indexed   bob::match::PathMatcher (hash of literals + first-segment buckets of patterns)
// Usage: bench_match [EVENTS [indexed]]   (default 2,000,000 events). Prints one line per method
// and the ratios; with `indexed` only the PathMatcher is run (for profiling it with perf).
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "bob/match.h"

namespace {

using bob::match::PathMatcher;
const std::string D = "\xE2\x8B\xAF";

// 700 literal paths and 300 patterns, shaped like learned profiles: /proc/⋯/…, library dirs,
// config trees, `*` under data and cache dirs.
std::vector<PathMatcher::Entry> make_profile() {
  std::vector<PathMatcher::Entry> entries;
  const char* roots[] = {"usr/lib/x86_64-linux-gnu", "etc", "usr/share/zoneinfo", "var/lib/app",
                         "opt/app/lib", "usr/local/lib/node_modules", "srv/www", "run/secrets"};
  for (int i = 0; i < 700; ++i) {
    std::string path = "/" + std::string(roots[i % 8]) + "/dir" + std::to_string(i % 37) +
                       "/file" + std::to_string(i) + ".so";
    entries.push_back({path, {"O_RDONLY", "O_CLOEXEC"}});
  }
  for (int i = 0; i < 300; ++i) {
    std::string path;
    switch (i % 6) {
      case 0: path = "/proc/" + D + "/task/" + D + "/stat" + std::to_string(i); break;
      case 1: path = "/proc/" + D + "/fd" + std::to_string(i); break;
      case 2: path = "/var/cache/app" + std::to_string(i) + "/*"; break;
      case 3: path = "/home/" + D + "/.config/tool" + std::to_string(i) + "/*"; break;
      case 4: path = "/sys/fs/cgroup/*/pod" + std::to_string(i) + "/" + D + "/cpu.max"; break;
      default: path = "/tmp/*/build" + std::to_string(i) + "/*/out.o"; break;
    }
    entries.push_back({path, {"O_RDONLY", "O_WRONLY", "O_CREAT", "O_CLOEXEC"}});
  }
  return entries;
}

// Events: 50% literal hits, 35% pattern hits, 15% misses (the case that scans the most).
std::vector<std::string> make_events(std::size_t count) {
  std::mt19937 rng(42);
  std::vector<std::string> events;
  events.reserve(count);
  const char* roots[] = {"usr/lib/x86_64-linux-gnu", "etc", "usr/share/zoneinfo", "var/lib/app",
                         "opt/app/lib", "usr/local/lib/node_modules", "srv/www", "run/secrets"};
  for (std::size_t n = 0; n < count; ++n) {
    int kind = static_cast<int>(rng() % 100);
    int i = static_cast<int>(rng() % 700);
    int p = static_cast<int>(rng() % 50) * 6;
    int pid = static_cast<int>(rng() % 40000);
    if (kind < 50) {
      events.push_back("/" + std::string(roots[i % 8]) + "/dir" + std::to_string(i % 37) +
                       "/file" + std::to_string(i) + ".so");
    } else if (kind < 60) {
      events.push_back("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid + 1) +
                       "/stat" + std::to_string(p));
    } else if (kind < 70) {
      events.push_back("/var/cache/app" + std::to_string(p + 2) + "/objects/ab/" +
                       std::to_string(pid));
    } else if (kind < 78) {
      events.push_back("/tmp/cc" + std::to_string(pid) + "/build" + std::to_string(p + 5) +
                       "/x/y/out.o");
    } else if (kind < 85) {
      events.push_back("/sys/fs/cgroup/kubepods/burstable/pod" + std::to_string(p + 4) +
                       "/cri-containerd-" + std::to_string(pid) + "/cpu.max");
    } else {
      events.push_back("/" + std::string(roots[i % 8]) + "/dir" + std::to_string(i % 37) +
                       "/missing" + std::to_string(pid));
    }
  }
  return events;
}

// CPU time of this thread, so that other processes sharing the machine do not skew the figure.
double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

template <typename F>
double events_per_second(const std::vector<std::string>& events, F&& matched, long& hits) {
  double start = thread_seconds();
  hits = 0;
  for (const auto& e : events) hits += matched(e) ? 1 : 0;
  return static_cast<double>(events.size()) / (thread_seconds() - start);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 2000000;
  if (count == 0) count = 2000000;
  auto entries = make_profile();
  auto events = make_events(count);
  const std::vector<std::string> flags = {"O_RDONLY", "O_CLOEXEC"};

  std::unordered_set<std::string> exact;
  for (const auto& e : entries) exact.insert(e.path);
  PathMatcher matcher(entries);

  long base_hits = 0, linear_hits = 0, indexed_hits = 0;
  if (argc > 2 && std::string(argv[2]) == "indexed") {
    double indexed = events_per_second(
        events, [&](const std::string& p) { return matcher.matches(p, flags); }, indexed_hits);
    std::printf("PathMatcher (indexed): %.0f events/s (%ld matched)\n", indexed, indexed_hits);
    return 0;
  }
  double baseline = events_per_second(
      events, [&](const std::string& p) { return exact.count(p) > 0; }, base_hits);
  // The naive scan is slow: give it a tenth of the events so the run stays short.
  std::vector<std::string> few(events.begin(), events.begin() + std::max<std::size_t>(count / 10, 1));
  double linear = events_per_second(
      few,
      [&](const std::string& p) {
        for (const auto& e : entries) {
          if (bob::match::compare_dynamic(e.path, p) && bob::match::flags_subset(flags, e.flags)) {
            return true;
          }
        }
        return false;
      },
      linear_hits);
  double indexed = events_per_second(
      events, [&](const std::string& p) { return matcher.matches(p, flags); }, indexed_hits);

  std::printf("profile: %zu entries (700 literal, 300 with wildcards); events: %zu\n",
              entries.size(), events.size());
  std::printf("baseline exact hash lookup : %12.0f events/s  (%ld hits, literals only)\n",
              baseline, base_hits);
  std::printf("linear compare_dynamic scan: %12.0f events/s  (%ld of %zu matched)\n", linear,
              linear_hits, few.size());
  std::printf("PathMatcher (indexed)      : %12.0f events/s  (%ld matched)\n", indexed,
              indexed_hits);
  std::printf("ratio indexed/baseline     : %12.2f\n", indexed / baseline);
  std::printf("ratio indexed/linear       : %12.1f\n", indexed / linear);
  return 0;
}
