/* T1/D4: /proc/self paths resolve to /proc/<pid>/..., written /proc/⋯/...; /proc/self/fd/N
 * resolves to the file behind the descriptor. usage: proc_self FILE */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int status = open("/proc/self/status", O_RDONLY);
  if (status < 0) return 3;
  int file = open(argv[1], O_RDONLY);
  if (file < 0) return 4;
  char through[64];
  snprintf(through, sizeof(through), "/proc/self/fd/%d", file);
  int again = open(through, O_RDONLY);
  if (again < 0) return 5;
  return 0;
}
