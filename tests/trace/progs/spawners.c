/* vfork, clone3 and posix_spawn children are all tracked. */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(void) {
  pid_t pid = vfork();
  if (pid == 0) {
    execl("/usr/bin/true", "true", "vfork", (char *)NULL);
    _exit(3);
  }
  waitpid(pid, NULL, 0);

  struct clone_args args;
  memset(&args, 0, sizeof(args));
  args.exit_signal = SIGCHLD;
  pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
  if (pid == 0) {
    execl("/usr/bin/true", "true", "clone3", (char *)NULL);
    _exit(3);
  }
  if (pid < 0) return 2;
  waitpid(pid, NULL, 0);

  char *spawn_args[] = {"true", "posix_spawn", NULL};
  if (posix_spawn(&pid, "/usr/bin/true", NULL, NULL, spawn_args, environ) != 0) return 4;
  waitpid(pid, NULL, 0);
  return 0;
}
