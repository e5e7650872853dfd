/* Capabilities: as root, chown a file to another user (CHOWN). usage: capabilities FILE */
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  if (chown(argv[1], 65534, 65534) != 0) return 3;
  return 0;
}
