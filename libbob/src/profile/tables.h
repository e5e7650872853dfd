// Internal: the names Linux and Kubescape define, as data, for validation and the JSON Schemas.
#pragma once

#include <span>
#include <string_view>

namespace bob::profile::detail {

std::span<const char* const> syscalls_amd64();
std::span<const char* const> syscalls_arm64();

// Linux capabilities 0..40 (CAP_CHOWN .. CAP_CHECKPOINT_RESTORE), without the CAP_ prefix.
inline constexpr const char* kCapabilities[] = {
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
    "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
    "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
    "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"};

// open(2) flag names as node-agent writes them (its tracer decodes flags into these names),
// plus the aliases glibc defines for the same bits.
inline constexpr const char* kOpenFlags[] = {
    "O_RDONLY", "O_WRONLY", "O_RDWR", "O_CREAT", "O_EXCL", "O_NOCTTY", "O_TRUNC", "O_APPEND",
    "O_NONBLOCK", "O_NDELAY", "O_DSYNC", "O_SYNC", "O_RSYNC", "O_ASYNC", "O_FASYNC", "FASYNC",
    "O_DIRECT", "O_LARGEFILE", "O_DIRECTORY", "O_NOFOLLOW", "O_NOATIME", "O_CLOEXEC", "O_PATH",
    "O_TMPFILE"};

inline constexpr const char* kArchitectures[] = {"amd64", "arm64"};

template <typename Names>
bool contains_name(const Names& names, std::string_view name) {
  for (const char* n : names) {
    if (name == n) return true;
  }
  return false;
}

}  // namespace bob::profile::detail
