/* T14: more than 20 args and args over 255 characters are truncated, and flagged. */
#include <string.h>
#include <unistd.h>

int main(void) {
  static char long_arg[301];
  memset(long_arg, 'x', 300);
  char *args[27];
  args[0] = "true";
  args[1] = long_arg;
  static char numbers[24][8];
  for (int i = 2; i < 26; ++i) {
    numbers[i - 2][0] = 'a';
    numbers[i - 2][1] = (char)('0' + i / 10);
    numbers[i - 2][2] = (char)('0' + i % 10);
    args[i] = numbers[i - 2];
  }
  args[26] = NULL;
  execv("/usr/bin/true", args);
  return 3;
}
