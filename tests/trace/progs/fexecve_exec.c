/* T6: fexecve and execveat(AT_EMPTY_PATH) still give the real executable path.
 * usage: fexecve_exec fexecve|execveat */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int fd = open("/usr/bin/true", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 3;
  char *args[] = {"true", argv[1], NULL};
  if (strcmp(argv[1], "fexecve") == 0) {
    fexecve(fd, args, environ);
  } else {
    syscall(SYS_execveat, fd, "", args, environ, AT_EMPTY_PATH);
  }
  return 4;
}
