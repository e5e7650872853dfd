/* IPv6: a TCP connect to a loopback listener this program opens, and the matching accept. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  int listener = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  socklen_t len = sizeof(addr);
  if (bind(listener, (struct sockaddr *)&addr, sizeof(addr)) != 0) return 2;
  if (listen(listener, 4) != 0) return 3;
  if (getsockname(listener, (struct sockaddr *)&addr, &len) != 0) return 4;
  int client = socket(AF_INET6, SOCK_STREAM, 0);
  if (connect(client, (struct sockaddr *)&addr, sizeof(addr)) != 0) return 5;
  int server = accept(listener, NULL, NULL);
  if (server < 0) return 6;
  printf("%d\n", ntohs(addr.sin6_port));
  return 0;
}
