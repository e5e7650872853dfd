/* T5: runc >= 1.2 opens procfs through a detached mount (fsopen + fsmount, or an open_tree clone)
 * and opens files relative to it. Each path must come out with its /proc prefix. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/mount.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  int fs = (int)syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
  if (fs < 0) return 2;
  if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0) return 3;
  int mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
  if (mnt < 0) return 4;
  if (openat(mnt, "self/status", O_RDONLY | O_CLOEXEC) < 0) return 5;  /* /proc/⋯/status */
  if (openat(mnt, "meminfo", O_RDONLY) < 0) return 6;                   /* /proc/meminfo */
  if (openat(mnt, "bob-no-such-entry", O_RDONLY) >= 0) return 7;        /* failed, dirfd-joined */
  int tree = (int)syscall(SYS_open_tree, AT_FDCWD, "/proc", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0) return 8;
  if (openat(tree, "cpuinfo", O_RDONLY) < 0) return 9;                  /* /proc/cpuinfo */
  return 0;
}
