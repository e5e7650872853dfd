/* T2/T4: openat relative to a directory fd; a failed one is joined onto the dirfd's path.
 * usage: dirfd_open DIR */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int dir = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return 3;
  int fd = openat(dir, "rel.txt", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 4;
  close(fd);
  if (openat(dir, "missing-dirfd.txt", O_RDONLY) >= 0) return 5;
  return 0;
}
