// From observations to a highly specific ApplicationProfile (bob record).
//
// One run: every exec, open, syscall, capability and endpoint as seen, with volatile identifiers
// (UUIDs, long hex ids, timestamps, pids) written as ⋯. Several runs of the same command: what
// is the same in every run stays literal; a path or argv that differs between runs only in some
// whole segments gets ⋯ in those segments.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bob/error.h"
#include "bob/profile.h"
#include "bob/trace.h"
#include "bob/version.h"

namespace bob::trace {
namespace {

using profile::kDynamicSegment;

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// A UUID anywhere in the segment (8-4-4-4-12 hex digits).
bool contains_uuid(std::string_view s) {
  static constexpr int kGroups[] = {8, 4, 4, 4, 12};
  if (s.size() < 36) return false;
  for (std::size_t start = 0; start + 36 <= s.size(); ++start) {
    std::size_t i = start;
    bool ok = true;
    for (int g = 0; g < 5 && ok; ++g) {
      for (int k = 0; k < kGroups[g]; ++k, ++i)
        if (!is_hex(s[i])) ok = false;
      if (ok && g < 4) ok = s[i++] == '-';
    }
    if (ok) return true;
  }
  return false;
}

// A run of 16 or more hex digits with at least one digit and one letter (ids and hashes, not
// words such as "deadbeefcafe" alone or numbers).
bool contains_long_hex(std::string_view s) {
  std::size_t run = 0;
  bool digit = false;
  bool letter = false;
  for (char c : s) {
    if (is_hex(c)) {
      ++run;
      if (std::isdigit(static_cast<unsigned char>(c))) digit = true; else letter = true;
      if (run >= 16 && digit && letter) return true;
    } else {
      run = 0;
      digit = letter = false;
    }
  }
  return false;
}

// An ISO-like timestamp: 2026-12-03T13:40 or 2026-12-03T13_40 (npm log names).
bool contains_timestamp(std::string_view s) {
  for (std::size_t i = 0; i + 16 <= s.size(); ++i) {
    auto d = [&](std::size_t k) { return std::isdigit(static_cast<unsigned char>(s[i + k])); };
    if (d(0) && d(1) && d(2) && d(3) && s[i + 4] == '-' && d(5) && d(6) && s[i + 7] == '-' &&
        d(8) && d(9) && s[i + 10] == 'T' && d(11) && d(12) && (s[i + 13] == ':' || s[i + 13] == '_'))
      return true;
  }
  return false;
}

// mktemp(1)'s default name (also `mktemp -d`'s): the whole segment is `tmp.` and ten characters of
// [A-Za-z0-9] mixing at least two of lower case, upper case and digits. A real name is random over
// 62 symbols (single-class about once in 3,000, then it stays literal); a word (`tmp.configfile`)
// or a number (`tmp.1234567890`) is single-class and stays literal. Same rule as the generalize
// module's (generalize/volatile.cpp). A user template (`foo.XXXXXX`) is not recognisable.
bool is_mktemp_default(std::string_view s) {
  if (s.size() != 14 || !s.starts_with("tmp.")) return false;
  bool lower = false, upper = false, digit = false;
  for (char c : s.substr(4)) {
    if (c >= 'a' && c <= 'z') lower = true;
    else if (c >= 'A' && c <= 'Z') upper = true;
    else if (c >= '0' && c <= '9') digit = true;
    else return false;
  }
  return int(lower) + int(upper) + int(digit) >= 2;
}

}  // namespace

namespace detail {

// Limitation: this is the tracer's own volatile-segment detector; the match/generalize module's
// normalize_volatile_segment (bob/generalize.h) had not landed when this was written. Pure
// numbers are treated as pids only when they have 4 or more digits.
bool volatile_segment(std::string_view segment) {
  if (segment.empty() || segment == kDynamicSegment) return false;
  if (contains_uuid(segment) || contains_long_hex(segment) || contains_timestamp(segment) ||
      is_mktemp_default(segment))
    return true;
  auto is_digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  // An O_TMPFILE file is named `#<inode number>` by the kernel: a new number on every run.
  if (segment.size() >= 2 && segment.front() == '#' &&
      std::all_of(segment.begin() + 1, segment.end(), is_digit))
    return true;
  bool all_digits = std::all_of(segment.begin(), segment.end(), is_digit);
  return all_digits && segment.size() >= 4;
}

std::vector<std::string> split_segments(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;  // "/a/b" -> {"", "a", "b"}
}

std::string join_segments(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += '/';
    out += parts[i];
  }
  return out;
}

std::string generalize_volatile_path(const std::string& path) {
  // Scanned in place: most paths have no volatile segment and are returned as they are, without
  // splitting them into strings (this runs once per recorded open).
  std::string out;
  std::size_t copied = 0;  // path[0, copied) is in `out` already
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view segment(path.data() + start, end - start);
    if (volatile_segment(segment)) {
      out.append(path, copied, start - copied);
      out += kDynamicSegment;
      copied = end;
    }
    start = end + 1;
  }
  if (copied == 0) return path;
  out.append(path, copied, std::string::npos);
  return out;
}

// An argv entry that is (or holds a path with) a volatile identifier becomes ⋯ as a whole:
// CompareExecArgs has no wildcard inside an argument.
std::string generalize_volatile_arg(const std::string& arg) {
  for (const auto& part : split_segments(arg))
    if (volatile_segment(part)) return kDynamicSegment;
  return arg;
}

}  // namespace detail

namespace {

using detail::join_segments;
using detail::split_segments;

bool segments_match(const std::vector<std::string>& pattern, const std::vector<std::string>& value) {
  if (pattern.size() != value.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i)
    if (pattern[i] != value[i] && pattern[i] != kDynamicSegment) return false;
  return true;
}

std::size_t differing(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i] && a[i] != kDynamicSegment) ++n;
  return n;
}

// Entries keyed by a list of segments (a path split on '/', or [exe path] + argv), merged run by
// run: exact or ⋯ matches fold together; an entry of a later run that matches nothing is lined
// up with an entry the run did not reproduce, if they differ in few whole segments; the
// differing segments become ⋯.
class RunMerger {
 public:
  // `fixed` leading segments never generalise (the exe path of an exec entry).
  explicit RunMerger(std::size_t fixed) : fixed_(fixed) {}

  void add_run(const std::map<std::vector<std::string>, std::set<std::string>>& entries) {
    if (first_) {
      for (const auto& [key, flags] : entries) entries_.push_back({key, flags});
      first_ = false;
      return;
    }
    std::vector<bool> reproduced(entries_.size(), false);
    std::vector<std::pair<std::vector<std::string>, std::set<std::string>>> unmatched;
    for (const auto& [key, flags] : entries) {
      bool found = false;
      for (std::size_t i = 0; i < entries_.size(); ++i) {
        if (!segments_match(entries_[i].first, key)) continue;
        entries_[i].second.insert(flags.begin(), flags.end());
        reproduced[i] = found = true;
      }
      if (!found) unmatched.push_back({key, flags});
    }
    for (auto& [key, flags] : unmatched) {
      std::optional<std::size_t> best;
      std::size_t best_difference = 0;
      for (std::size_t i = 0; i < entries_.size(); ++i) {
        const auto& candidate = entries_[i].first;
        if (reproduced[i] || candidate.size() != key.size() || !prefix_equal(candidate, key))
          continue;
        std::size_t d = differing(candidate, key);
        std::size_t limit = std::max<std::size_t>(1, (key.size() - fixed_) / 2);
        if (d == 0 || d > limit) continue;
        if (!best || d < best_difference) {
          best = i;
          best_difference = d;
        }
      }
      if (!best) {
        entries_.push_back({key, flags});
        reproduced.push_back(true);
        continue;
      }
      auto& target = entries_[*best];
      for (std::size_t k = 0; k < key.size(); ++k)
        if (target.first[k] != key[k]) target.first[k] = kDynamicSegment;
      target.second.insert(flags.begin(), flags.end());
      reproduced[*best] = true;
    }
  }

  std::map<std::vector<std::string>, std::set<std::string>> result() const {
    std::map<std::vector<std::string>, std::set<std::string>> out;
    for (const auto& [key, flags] : entries_) out[key].insert(flags.begin(), flags.end());
    return out;
  }

 private:
  bool prefix_equal(const std::vector<std::string>& a, const std::vector<std::string>& b) const {
    for (std::size_t i = 0; i < fixed_ && i < a.size(); ++i)
      if (a[i] != b[i]) return false;
    return true;
  }

  std::size_t fixed_;
  bool first_ = true;
  std::vector<std::pair<std::vector<std::string>, std::set<std::string>>> entries_;
};

std::string default_name(const Observation& observation) {
  for (const auto& exec : observation.execs) {
    if (exec.process == observation.root && !exec.args.empty()) {
      std::string base = std::filesystem::path(exec.args[0]).filename().string();
      std::string name = "bob-";
      for (char c : base)
        name += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
      return name;
    }
  }
  return "bob-recording";
}

std::string host_port(const NetworkEvent& event) {
  bool v6 = event.address.find(':') != std::string::npos;
  return (v6 ? "[" + event.address + "]" : event.address) + ":" + std::to_string(event.port);
}

profile::Json network_neighborhood(const std::vector<Recording>& runs) {
  using Json = profile::Json;
  std::map<std::pair<std::string, std::string>, std::set<std::pair<std::string, int>>> peers;
  std::set<std::string> dns_names;
  for (const auto& run : runs) {
    const Observation& o = run.observation;
    for (const auto& n : o.network)
      peers[{n.direction, n.address}].insert({n.protocol, n.port});
    for (const auto& d : o.dns) dns_names.insert(d.name);
  }
  Json egress = Json::array();
  Json ingress = Json::array();
  for (const auto& [key, ports] : peers) {
    Json entry = {{"identifier", key.first + "-" + key.second}, {"type", "external"},
                  {"dnsNames", Json::array()}, {"ipAddresses", Json::array({key.second})},
                  {"ports", Json::array()}};
    for (const auto& [protocol, port] : ports)
      entry["ports"].push_back({{"name", protocol + "-" + std::to_string(port)},
                                {"protocol", protocol}, {"port", port}});
    (key.first == "inbound" ? ingress : egress).push_back(entry);
  }
  if (!dns_names.empty()) {
    Json names = Json::array();
    for (const auto& name : dns_names) names.push_back(name);
    egress.push_back({{"identifier", "dns"}, {"type", "external"}, {"dnsNames", names},
                      {"ports", Json::array({{{"name", "UDP-53"}, {"protocol", "UDP"},
                                              {"port", 53}}})}});
  }
  return Json{{"egress", egress}, {"ingress", ingress}};
}

// Sorted, without duplicates: a flag list as the profile writes it.
using FlagList = std::vector<std::string>;

void add_flags(FlagList& list, const std::vector<std::string>& flags) {
  for (const auto& flag : flags) {
    auto at = std::lower_bound(list.begin(), list.end(), flag);
    if (at == list.end() || *at != flag) list.insert(at, flag);
  }
}

}  // namespace

bool SegmentOrder::operator()(const std::string& a, const std::string& b) const {
  std::size_t common = std::min(a.size(), b.size());
  auto [at_a, at_b] = std::mismatch(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(common),
                                    b.begin());
  if (at_a == a.begin() + static_cast<std::ptrdiff_t>(common)) return a.size() < b.size();
  auto rank = [](char c) {
    return c == '/' ? 0u : static_cast<unsigned>(static_cast<unsigned char>(c)) + 1u;
  };
  return rank(*at_a) < rank(*at_b);
}

namespace {

// `value` with every byte that is not printable ASCII as \xHH, for messages.
std::string printable(std::string_view value) {
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : value) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
      continue;
    }
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// Why `path` cannot stand as it is in a profile, or "": a profile's strings are UTF-8, and a `*`
// or `⋯` segment is a wildcard there (CompareDynamic), not the name the command used.
std::string why_inexpressible_path(const std::string& path) {
  // Nearly every path is ASCII without `*`: that needs no closer look (`⋯` is not ASCII).
  if (std::all_of(path.begin(), path.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x80 && c != '*'; }))
    return "";
  if (!profile::is_utf8(path)) return "'" + printable(path) + "' is not UTF-8";
  auto segments = detail::split_segments(path);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& segment = segments[i];
    // /proc/⋯/: the decoder's own rewrite of /proc/<pid>/, as node-agent writes it.
    if (i == 2 && segments[1] == "proc" && segment == profile::kDynamicSegment) continue;
    if (segment == "*" || segment.find(profile::kDynamicSegment) != std::string::npos)
      return "'" + path + "' holds a segment '" + segment + "', which a profile reads as a "
             "wildcard";
  }
  return "";
}

// The same for an exec argument: in CompareExecArgs any `⋯` in an argument is a wildcard.
std::string why_inexpressible_arg(const std::string& arg) {
  if (!profile::is_utf8(arg)) return "argument '" + printable(arg) + "' is not UTF-8";
  if (arg.find(profile::kDynamicSegment) != std::string::npos)
    return "argument '" + arg + "' holds '⋯', which a profile reads as a wildcard";
  return "";
}

constexpr std::size_t kInexpressibleKept = 5;  // enough to say what is wrong

void note_inexpressible(Recording& run, std::string why) {
  if (run.inexpressible.size() < kInexpressibleKept) run.inexpressible.push_back(std::move(why));
}

}  // namespace

void add_open(Recording& run, const OpenEvent& open) {
  std::string why = why_inexpressible_path(open.path);
  if (!why.empty()) {
    note_inexpressible(run, "an open of " + why);
    return;
  }
  add_flags(run.opens[detail::generalize_volatile_path(open.path)], open.flags);
}

Recording record_traced(const TraceOptions& options) {
  Recording run;
  TraceOptions folding = options;
  folding.open_sink = [&run](OpenEvent&& open) { add_open(run, open); };
  run.observation = run_traced(folding);
  return run;
}

namespace {

constexpr const char* kCpuOnlinePath = "/sys/devices/system/cpu/online";

// An observation's open events as a recording's OpenSet, releasing the events once counted.
Recording as_recording(Observation observation) {
  Recording run;
  for (const auto& open : observation.opens) add_open(run, open);
  std::vector<OpenEvent>().swap(observation.opens);
  run.observation = std::move(observation);
  return run;
}

// The opens of every run, merged: one run's as they are; several runs' through RunMerger, which
// generalises the segments that differ between runs. Each run's set is emptied.
OpenSet merged_opens(std::vector<Recording>& runs) {
  if (runs.size() == 1) return std::move(runs.front().opens);
  RunMerger merger(1);  // the leading "" of an absolute path stays
  for (auto& run : runs) {
    std::map<std::vector<std::string>, std::set<std::string>> run_opens;
    for (auto& [path, flags] : run.opens)
      run_opens[split_segments(path)].insert(flags.begin(), flags.end());
    OpenSet().swap(run.opens);
    merger.add_run(run_opens);
  }
  OpenSet out;
  for (auto& [key, flags] : merger.result())
    add_flags(out[join_segments(key)], FlagList(flags.begin(), flags.end()));
  return out;
}

// Adds an open entry for `path` with `flags`, or unions the flags into the existing entry; the
// entries stay in SegmentOrder, the order the recorded ones are in.
void allow_open(profile::Container& c, const std::string& path,
                const std::vector<std::string>& flags) {
  auto it = std::find_if(c.opens.begin(), c.opens.end(),
                         [&](const profile::OpenCall& o) { return o.path == path; });
  if (it == c.opens.end()) {
    profile::OpenCall call;
    call.path = path;
    auto by_path = [](const profile::OpenCall& a, const profile::OpenCall& b) {
      return SegmentOrder()(a.path, b.path);
    };
    auto at = std::upper_bound(c.opens.begin(), c.opens.end(), call, by_path);
    it = c.opens.insert(at, std::move(call));
  }
  std::set<std::string> merged(it->flags.begin(), it->flags.end());
  merged.insert(flags.begin(), flags.end());
  it->flags.assign(merged.begin(), merged.end());
}

}  // namespace

profile::Profile observation_to_profile(const Observation& observation,
                                        const RecordOptions& options) {
  return observations_to_profile({observation}, options);
}

profile::Profile observations_to_profile(std::vector<Observation> observations,
                                         const RecordOptions& options) {
  std::vector<Recording> runs;
  runs.reserve(observations.size());
  for (auto& o : observations) runs.push_back(as_recording(std::move(o)));
  return recordings_to_profile(std::move(runs), options);
}

profile::Profile recordings_to_profile(std::vector<Recording> runs, const RecordOptions& options) {
  using Json = profile::Json;
  if (runs.empty()) fail(Exit::usage, "no recording to turn into a profile");
  for (std::size_t i = 0; i < runs.size(); ++i) {
    std::string reason = incompleteness_reason(runs[i].observation);
    if (!reason.empty())
      fail(Exit::inconclusive,
           "run " + std::to_string(i + 1) + " was not fully seen: " + reason +
               "; no profile written",
           "a recording must see everything the command did; see docs/tracing.md");
    for (const auto& exec : runs[i].observation.execs) {
      std::string why = why_inexpressible_path(exec.exe_path);
      for (std::size_t a = 0; why.empty() && a < exec.args.size(); ++a)
        why = why_inexpressible_arg(exec.args[a]);
      if (!why.empty()) note_inexpressible(runs[i], "an exec of " + printable(exec.exe_path) +
                                                        ": " + why);
    }
    if (!runs[i].inexpressible.empty())
      fail(Exit::inconclusive,
           "run " + std::to_string(i + 1) + " did what a profile cannot hold as it is: " +
               runs[i].inexpressible.front() + "; no profile written",
           "a profile would be wider than the run (a wildcard) or unreadable (not UTF-8); "
           "see docs/tracing.md, \"What a profile cannot hold\"");
  }

  RunMerger execs(1);  // the exe path stays
  std::set<std::string> syscalls;
  std::set<std::string> capabilities;
  std::map<std::pair<std::string, std::string>, std::set<std::string>> endpoints;  // port, dir
  for (const auto& run : runs) {
    const Observation& o = run.observation;
    std::map<std::vector<std::string>, std::set<std::string>> run_execs;
    for (const auto& exec : o.execs) {
      std::vector<std::string> key = {exec.exe_path};
      for (const auto& arg : exec.args) key.push_back(detail::generalize_volatile_arg(arg));
      run_execs[key];
    }
    execs.add_run(run_execs);
    syscalls.insert(o.syscalls.begin(), o.syscalls.end());
    for (const auto& c : o.capabilities) capabilities.insert(c.capability);
    for (const auto& n : o.network)
      endpoints[{":" + std::to_string(n.port), n.direction}].insert(host_port(n));
  }

  const Observation& first = runs.front().observation;
  profile::Profile p;
  p.kind = profile::Kind::application_profile;
  std::string name = options.name.empty() ? default_name(first) : options.name;
  p.metadata["name"] = name;
  if (!options.namespace_name.empty()) p.metadata["namespace"] = options.namespace_name;
  Json recorded = {
      {"tool", "bob"},
      {"version", version()},
      {"kernel", first.kernel_release},
      {"traced", first.traced_kinds},
      {"argsFormat", "ig-v0.48.1"},
      {"runs", runs.size()},
  };
  Json roots = Json::object();
  for (const auto& [key, value] : first.roots) roots[key] = value;
  p.metadata["annotations"] = {
      {"kubescape.io/status", "completed"},
      {"kubescape.io/completion", "complete"},
      {"kubescape.io/managed-by", "User"},
      {kAnnotationRecordedWith, recorded.dump()},
      {kAnnotationRoots, roots.dump()},
      {"bob.dev/network-neighborhood", network_neighborhood(runs).dump()},
  };
  p.architectures = {"amd64"};

  profile::Container c;
  c.name = options.container.empty() ? name : options.container;
  for (const auto& [key, flags] : execs.result()) {
    profile::ExecCall call;
    call.path = key.front();
    call.args.assign(key.begin() + 1, key.end());
    c.execs.push_back(std::move(call));
  }
  {
    OpenSet opens = merged_opens(runs);
    c.opens.reserve(opens.size());
    // Each entry moves into the profile and leaves the map, so the two never both hold them.
    while (!opens.empty()) {
      auto entry = opens.extract(opens.begin());
      profile::OpenCall call;
      call.path = std::move(entry.key());
      call.flags = std::move(entry.mapped());
      c.opens.push_back(std::move(call));
    }
  }
  // glibc's malloc reads the online CPU list once per process, when a thread needs a new arena
  // and more than eight exist (malloc/arena.c arena_get2 -> __get_nprocs). How many threads have
  // allocated by then depends on scheduling: the same genuine npm install reads it on one run and
  // not on the next, so no number of runs is certain to see it. A threaded program (futex) may
  // therefore read it; the file lists only the CPU numbers any process learns from
  // sched_getaffinity, so allowing it exposes nothing.
  if (syscalls.count("futex")) allow_open(c, kCpuOnlinePath, {"O_RDONLY", "O_CLOEXEC"});
  // Whether a multi-threaded runtime (node's V8 and libuv threads, Go, the JVM) calls
  // sched_yield depends on how busy the CPUs are, not on what the program does: the same genuine
  // installer yields on one run and not on the next. A program that synchronises threads with
  // futex may therefore always yield; the call only gives up the CPU, so allowing it widens
  // nothing an attacker could use.
  if (syscalls.count("futex")) syscalls.insert("sched_yield");
  c.syscalls.assign(syscalls.begin(), syscalls.end());
  c.capabilities.assign(capabilities.begin(), capabilities.end());
  for (const auto& [key, hosts] : endpoints) {
    profile::Endpoint e;
    e.endpoint = key.first;
    e.direction = key.second;
    e.internal = false;
    Json host_list = Json::array();
    for (const auto& host : hosts) host_list.push_back(host);
    e.headers = Json{{"Host", host_list}};
    c.endpoints.push_back(std::move(e));
  }
  c.extra["seccompProfile"] = {{"spec", {{"defaultAction", ""}}}};
  p.containers.push_back(std::move(c));
  return p;
}

}  // namespace bob::trace
