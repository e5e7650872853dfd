// Names for the numbers the kernel reports: syscalls, open flags, capabilities.
#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bob/trace.h"

namespace bob::trace {
namespace detail {
extern const std::array<std::string_view, 470> kSyscallNames64;
}

std::string syscall_name(int number) {
  if (number < 0 || number >= static_cast<int>(detail::kSyscallNames64.size())) return "";
  return std::string(detail::kSyscallNames64[static_cast<std::size_t>(number)]);
}

std::vector<std::string> open_flag_names(std::uint32_t flags) {
  // x86_64 values (asm-generic/fcntl.h). O_SYNC contains O_DSYNC, O_TMPFILE contains
  // O_DIRECTORY: the composite is named and its parts are not repeated.
  static const std::pair<std::uint32_t, const char*> kFlags[] = {
      {0100, "O_CREAT"},        {0200, "O_EXCL"},         {0400, "O_NOCTTY"},
      {01000, "O_TRUNC"},       {02000, "O_APPEND"},      {04000, "O_NONBLOCK"},
      {020000, "O_ASYNC"},      {040000, "O_DIRECT"},     {0100000, "O_LARGEFILE"},
      {0400000, "O_NOFOLLOW"},  {01000000, "O_NOATIME"},  {02000000, "O_CLOEXEC"},
      {010000000, "O_PATH"},
  };
  std::vector<std::string> names;
  names.reserve(4);  // an access mode and up to three flags, as almost every open has
  switch (flags & 03) {
    case 0: names.push_back("O_RDONLY"); break;
    case 1: names.push_back("O_WRONLY"); break;
    default: names.push_back("O_RDWR"); break;
  }
  for (const auto& [bit, name] : kFlags)
    if (flags & bit) names.push_back(name);
  if ((flags & 04010000) == 04010000) {
    names.push_back("O_SYNC");
  } else if (flags & 010000) {
    names.push_back("O_DSYNC");
  }
  if ((flags & 020200000) == 020200000) {
    names.push_back("O_TMPFILE");
  } else if (flags & 0200000) {
    names.push_back("O_DIRECTORY");
  }
  return names;
}

std::string capability_name(int number) {
  static const char* const kNames[] = {
      "CHOWN",           "DAC_OVERRIDE",  "DAC_READ_SEARCH", "FOWNER",         "FSETID",
      "KILL",            "SETGID",        "SETUID",          "SETPCAP",        "LINUX_IMMUTABLE",
      "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN",      "NET_RAW",        "IPC_LOCK",
      "IPC_OWNER",       "SYS_MODULE",    "SYS_RAWIO",       "SYS_CHROOT",     "SYS_PTRACE",
      "SYS_PACCT",       "SYS_ADMIN",     "SYS_BOOT",        "SYS_NICE",       "SYS_RESOURCE",
      "SYS_TIME",        "SYS_TTY_CONFIG", "MKNOD",          "LEASE",          "AUDIT_WRITE",
      "AUDIT_CONTROL",   "SETFCAP",       "MAC_OVERRIDE",    "MAC_ADMIN",      "SYSLOG",
      "WAKE_ALARM",      "BLOCK_SUSPEND", "AUDIT_READ",      "PERFMON",        "BPF",
      "CHECKPOINT_RESTORE",
  };
  if (number < 0 || number >= static_cast<int>(std::size(kNames))) return "";
  return kNames[number];
}

}  // namespace bob::trace
