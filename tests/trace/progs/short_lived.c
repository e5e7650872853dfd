/* T17: many very short-lived children; every exec is captured in-kernel. usage: short_lived N */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int count = argc > 1 ? atoi(argv[1]) : 50;
  for (int i = 0; i < count; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      char label[16];
      snprintf(label, sizeof(label), "n%d", i);
      execl("/usr/bin/true", "true", label, (char *)NULL);
      _exit(3);
    }
    if (pid < 0) return 2;
  }
  while (wait(NULL) > 0) {
  }
  return 0;
}
