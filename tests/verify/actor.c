/* A deterministic installer stand-in for the record -> verify tests. Each argument is one action,
 * so that a test can add exactly one behaviour to an otherwise identical run:
 *   read:PATH      open PATH read-only, read it, close it
 *   write:PATH     create or truncate PATH, write a line, close it
 *   connect:PORT   TCP connect to 127.0.0.1:PORT, then close
 *   exec:PATH      fork, exec PATH with the single argument "noop", wait for it
 *   sysinfo        call sysinfo(2) directly (a syscall the other actions never make)
 *   noop           nothing
 * `@FILE` as the only argument reads the actions from FILE, one a line, so that a test can change
 * what the installer does without changing its command line (as a tampered package would).
 * Any failure exits with status 3, naming the action. */
#include <arpa/inet.h>
#include <signal.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char* action) {
  perror(action);
  return 3;
}

static int do_read(const char* path) {
  char buffer[256];
  int fd = open(path, O_RDONLY);
  if (fd < 0) return fail(path);
  while (read(fd, buffer, sizeof buffer) > 0) {
  }
  close(fd);
  return 0;
}

static int do_write(const char* path) {
  static const char line[] = "written by actor\n";
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return fail(path);
  if (write(fd, line, sizeof line - 1) < 0) return fail(path);
  close(fd);
  return 0;
}

static int do_connect(const char* port_text) {
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_port = htons((unsigned short)atoi(port_text));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return fail("socket");
  if (connect(fd, (struct sockaddr*)&address, sizeof address) != 0) return fail("connect");
  close(fd);
  return 0;
}

static int do_exec(const char* path) {
  pid_t child = fork();
  if (child < 0) return fail("fork");
  if (child == 0) {
    execl(path, path, "noop", (char*)NULL);
    _exit(127);
  }
  int status = 0;
  if (waitpid(child, &status, 0) < 0) return fail("waitpid");
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 3;
}

static int do_sysinfo(void) {
  struct sysinfo info;
  if (syscall(SYS_sysinfo, &info) != 0) return fail("sysinfo");
  return 0;
}

static int run_action(const char* action);

int main(int argc, char** argv) {
  /* Always make rt_sigaction: the tracer sometimes counts it from bob's own pre-exec child and
   * sometimes not, and a test about exactly one new syscall must not depend on that. */
  signal(SIGPIPE, SIG_DFL);
  if (argc == 2 && argv[1][0] == '@') {
    FILE* plan = fopen(argv[1] + 1, "r");
    if (plan == NULL) return fail(argv[1] + 1);
    char line[4096];
    while (fgets(line, sizeof line, plan) != NULL) {
      line[strcspn(line, "\n")] = '\0';
      if (line[0] == '\0') continue;
      int status = run_action(line);
      if (status != 0) return status;
    }
    fclose(plan);
    return 0;
  }
  for (int i = 1; i < argc; ++i) {
    int status = run_action(argv[i]);
    if (status != 0) return status;
  }
  return 0;
}

static int run_action(const char* action) {
  {
    int status = 0;
    if (strncmp(action, "read:", 5) == 0) {
      status = do_read(action + 5);
    } else if (strncmp(action, "write:", 6) == 0) {
      status = do_write(action + 6);
    } else if (strncmp(action, "connect:", 8) == 0) {
      status = do_connect(action + 8);
    } else if (strncmp(action, "exec:", 5) == 0) {
      status = do_exec(action + 5);
    } else if (strcmp(action, "sysinfo") == 0) {
      status = do_sysinfo();
    } else if (strcmp(action, "noop") == 0) {
      status = 0;
    } else {
      fprintf(stderr, "actor: unknown action '%s'\n", action);
      return 2;
    }
    return status;
  }
}
