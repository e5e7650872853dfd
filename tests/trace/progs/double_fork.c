/* A daemon that double-forks (re-parented to init) stays tracked. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  pid_t child = fork();
  if (child < 0) return 2;
  if (child == 0) {
    setsid();
    pid_t grandchild = fork();
    if (grandchild < 0) _exit(3);
    if (grandchild == 0) {
      usleep(200 * 1000);  /* run on after both ancestors are gone */
      execl("/usr/bin/true", "true", "daemonized", (char *)NULL);
      _exit(4);
    }
    _exit(0);
  }
  waitpid(child, NULL, 0);
  return 0;
}
