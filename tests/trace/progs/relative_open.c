/* T4: relative opens after chdir, and a failed relative open, are joined onto the cwd.
 * usage: relative_open DIR   (DIR holds rel.txt) */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2 || chdir(argv[1]) != 0) return 2;
  int fd = open("rel.txt", O_RDONLY);
  if (fd < 0) return 3;
  close(fd);
  if (open("missing-relative.txt", O_RDONLY) >= 0) return 4;        /* ENOENT, still recorded */
  if (open("/nonexistent-bob-dir/probe.so", O_RDONLY) >= 0) return 5;  /* absolute ENOENT */
  return 0;
}
