/* T19: openat2 is traced (node-agent does not see it). usage: openat2_open FILE */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  struct open_how how;
  memset(&how, 0, sizeof(how));
  how.flags = O_RDONLY | O_CLOEXEC;
  long fd = syscall(SYS_openat2, AT_FDCWD, argv[1], &how, sizeof(how));
  if (fd < 0) return 3;
  close((int)fd);
  return 0;
}
