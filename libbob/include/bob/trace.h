// Running a command under eBPF tracing, and turning what it did into a profile.
//
// run_traced() forks the command, holds it on a pipe until its pid is in the tracker's map, lets
// it exec, follows it and every descendant (fork, vfork, clone, clone3, daemons that double-fork)
// and returns an Observation once the command and its descendants are gone and the ring buffer is
// drained. The recording semantics follow Kubescape node-agent (see docs/tracing.md).
//
// Failures of the tracer itself (not root, a needed BPF program that does not load or attach)
// throw Error(Exit::inconclusive) naming the program, the hook and the errno. A run that finished
// but could not be fully seen (lost events, a timeout, descendants still running) is returned
// with Observation::lost_events, timed_out or lingering_processes set: the caller decides, and
// every caller that passes or records must treat them as inconclusive (see complete()).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bob/observation.h"
#include "bob/profile.h"

namespace bob::trace {

struct TraceOptions {
  std::vector<std::string> argv;            // the command; argv[0] is searched in PATH
  std::chrono::seconds timeout{0};          // 0: wait as long as it takes
  bool passthrough_stdio = true;            // false: stdin, stdout, stderr go to /dev/null
  std::string working_directory;            // empty: bob's own
  // Extra or replaced environment variables for the command (e.g. HOME, TMPDIR).
  std::map<std::string, std::string> environment;
  // How long to wait, after the command exited, for descendants it left running (daemons).
  std::chrono::milliseconds linger{2000};
  // The install prefix to note in Observation::roots["prefix"]; empty: taken from
  // npm_config_prefix / PREFIX in the command's environment when set.
  std::string install_prefix;
  // When set, each open is handed here as soon as it is read, instead of being kept in
  // Observation::opens (which then stays empty). bob record folds the opens into an OpenSet this
  // way while the command runs, so that no work on them is left for after it exits.
  std::function<void(OpenEvent&&)> open_sink;
};

// Checks that tracing can work here by loading (not attaching) the BPF programs. Returns an empty
// string when it can, else the reason. Tests use it to decide whether to skip.
std::string tracing_unavailable_reason();

// Runs the command under tracing (see above). Throws Error(inconclusive) when tracing cannot
// start, Error(usage) when the command cannot be found or run.
Observation run_traced(const TraceOptions& options);

// True when the run was fully seen: no lost events, no timeout, no descendant left running.
bool complete(const Observation& observation);
// Why complete() is false, one sentence; empty when complete.
std::string incompleteness_reason(const Observation& observation);

// Orders paths as their lists of '/'-separated segments order: '/' sorts before every other byte.
// The order bob record lists opens in, for one run and for several alike.
struct SegmentOrder {
  bool operator()(const std::string& a, const std::string& b) const;
};

// One run's opens as bob record keeps them: each path with its volatile segments written as ⋯,
// and the sorted union of the O_* flags it was opened with. A recording of `find /usr` holds
// 17,000 of them; this map is most of what record keeps.
using OpenSet = std::map<std::string, std::vector<std::string>, SegmentOrder>;

// One run as bob record keeps it: the observation without its open events, and their OpenSet.
struct Recording {
  Observation observation;  // observation.opens is empty: the opens are in `opens`
  OpenSet opens;
  // Opened paths a profile cannot hold as they are (not UTF-8, or a `*`/`⋯` segment that a
  // profile would read as a wildcard), each with why; a recording with any writes no profile.
  std::vector<std::string> inexpressible;
};

// Folds one open into the run's set, or into `inexpressible` when a profile cannot hold it.
void add_open(Recording& run, const OpenEvent& open);

// run_traced(), with each open folded into the recording's OpenSet as it is read (on bob's own
// thread, while the command runs on another CPU). Same errors as run_traced().
Recording record_traced(const TraceOptions& options);

struct RecordOptions {
  std::string name;       // metadata.name; empty: "bob-" + the command's basename
  std::string container;  // the container entry's name; empty: the name
  std::string namespace_name;  // metadata.namespace; empty: not written
};

// A highly specific ApplicationProfile of one run: exec paths and args, open paths and flags
// (failed opens included, as node-agent records them), syscalls, capabilities, endpoints, and
// annotations saying how it was recorded (kernel release, bob version, event kinds, roots).
// Volatile identifiers (UUIDs, long hex ids, pids) in paths are written as ⋯.
// Throws Error(inconclusive) when !complete(observation): a partial profile is never written.
profile::Profile observation_to_profile(const Observation& observation,
                                        const RecordOptions& options);

// The same from several runs of the same command: what is the same in every run stays literal,
// path segments and args that differ between runs become ⋯ (whole segments only). Paths and
// execs seen in only some runs are kept (generalised where they line up with another run's).
// Taken by value: pass the observations with std::move and their open events are released as
// they are counted (a large recording's events are most of bob record's memory).
profile::Profile observations_to_profile(std::vector<Observation> observations,
                                         const RecordOptions& options);
// The same from runs recorded with record_traced(): what bob record writes.
profile::Profile recordings_to_profile(std::vector<Recording> runs, const RecordOptions& options);

// `bob record --runs N --fresh DIR`: DIR is copied aside before the first run and put back, as it
// was, before every later run, so that every run starts from the same state (an install prefix
// that a second `npm install` would find "up to date"). A DIR that did not exist is removed.
// Regular files, directories and symbolic links are restored with their permissions; owners,
// times and hard links are not. The copies live next to DIR and are removed on destruction.
// Throws Error(usage) for "/", nested directories, a working directory inside DIR or files that
// cannot be copied; Error(inconclusive) when a restore fails.
class FreshDirectories {
 public:
  explicit FreshDirectories(const std::vector<std::string>& directories);
  ~FreshDirectories();
  FreshDirectories(const FreshDirectories&) = delete;
  FreshDirectories& operator=(const FreshDirectories&) = delete;
  void restore();

 private:
  void remove_snapshots();
  struct Entry {
    std::filesystem::path directory;
    std::filesystem::path snapshot;  // empty when the directory did not exist
    bool existed = false;
    std::filesystem::perms permissions = std::filesystem::perms::none;
  };
  std::vector<Entry> entries_;
};

// The annotation keys bob writes on recorded profiles.
inline constexpr const char* kAnnotationRecordedWith = "bob.dev/recorded-with";  // JSON object
inline constexpr const char* kAnnotationRoots = "bob.dev/roots";                 // JSON object

// The x86_64 syscall name of a number, or "" when unknown.
std::string syscall_name(int number);
// O_* names of open(2) flags, access mode first (O_RDONLY, O_WRONLY or O_RDWR).
std::vector<std::string> open_flag_names(std::uint32_t flags);
// Capability name without the CAP_ prefix (e.g. 21 -> "SYS_ADMIN"), or "" when unknown.
std::string capability_name(int number);

}  // namespace bob::trace
