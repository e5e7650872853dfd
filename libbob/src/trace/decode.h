// Turning the BPF records into an Observation (private to the trace module; unit-tested).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bob/observation.h"

namespace bob::trace::detail {

// Go's path.Clean for absolute paths: collapses //, resolves . and .. lexically, no trailing /.
std::string clean_path(std::string_view path);
// Joins a relative name onto a directory and cleans the result (node-agent's cwd/dirfd join).
std::string join_path(std::string_view directory, std::string_view name);
// /proc/<digits>/... -> /proc/⋯/..., only when the path starts with /proc/ (node-agent).
std::string rewrite_proc_pid(std::string path);
// IG v0.48.1 args ([filename, argv[1..19]], 255 characters each) rebuilt from the new image's
// argv, for when the caller's strings could not be read at execve entry.
std::vector<std::string> args_from_cmdline(const std::string& filename,
                                           const std::vector<std::string>& cmdline);
// The QNAME of a DNS query message, fully qualified with the trailing dot; "" if malformed.
std::string dns_query_name(const std::uint8_t* message, std::size_t size);

class Decoder {
 public:
  explicit Decoder(Observation& observation, int root_pid)
      : observation_(observation), root_pid_(root_pid) {}
  void set_root_pid(int pid) { root_pid_ = pid; }
  // Opens go to `sink` instead of Observation::opens (see TraceOptions::open_sink).
  void set_open_sink(std::function<void(OpenEvent&&)> sink) { open_sink_ = std::move(sink); }
  void handle(const void* data, std::size_t size);
  bool root_exit_seen() const { return root_exit_seen_; }
  std::uint64_t records() const { return records_; }
  // Opens decoded, whether kept in the observation or handed to the open sink.
  std::uint64_t opens() const { return opens_; }
  std::uint64_t malformed() const { return malformed_; }

 private:
  ProcessKey key_of(std::uint32_t pid, std::uint64_t start_ns) const;
  Process& process(const ProcessKey& key);
  void on_fork(const void* data);
  void on_exec(const void* data);
  void on_exec_failed(const void* data);
  void on_exit(const void* data);
  void on_open(const void* data);
  void on_net(const void* data);
  void on_cap(const void* data);

  Observation& observation_;
  std::function<void(OpenEvent&&)> open_sink_;
  int root_pid_;
  bool root_exit_seen_ = false;
  std::uint64_t records_ = 0;
  std::uint64_t opens_ = 0;
  std::uint64_t malformed_ = 0;
};

}  // namespace bob::trace::detail
