/* T11: DNS names are recorded from the query even without an answer (nothing listens on
 * 127.0.0.1:53 in the test). Sent three ways: sendto, send on a connected socket, sendmmsg. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static size_t build_query(unsigned char *out, const char *name) {
  static const unsigned char header[12] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  memcpy(out, header, sizeof(header));
  size_t n = sizeof(header);
  const char *label = name;
  while (*label) {
    const char *dot = strchr(label, '.');
    size_t len = dot ? (size_t)(dot - label) : strlen(label);
    out[n++] = (unsigned char)len;
    memcpy(out + n, label, len);
    n += len;
    label += len + (dot ? 1 : 0);
  }
  out[n++] = 0;
  out[n++] = 0; out[n++] = 1;  /* type A */
  out[n++] = 0; out[n++] = 1;  /* class IN */
  return n;
}

int main(void) {
  struct sockaddr_in server;
  memset(&server, 0, sizeof(server));
  server.sin_family = AF_INET;
  server.sin_port = htons(53);
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  unsigned char query[256];

  int s1 = socket(AF_INET, SOCK_DGRAM, 0);
  size_t n = build_query(query, "sendto.nxdomain.bob-test.invalid");
  sendto(s1, query, n, 0, (struct sockaddr *)&server, sizeof(server));

  int s2 = socket(AF_INET, SOCK_DGRAM, 0);
  if (connect(s2, (struct sockaddr *)&server, sizeof(server)) != 0) return 2;
  n = build_query(query, "send.nxdomain.bob-test.invalid");
  send(s2, query, n, 0);

  n = build_query(query, "sendmmsg.nxdomain.bob-test.invalid");
  struct iovec iov = {query, n};
  struct mmsghdr message;
  memset(&message, 0, sizeof(message));
  message.msg_hdr.msg_iov = &iov;
  message.msg_hdr.msg_iovlen = 1;
  sendmmsg(s2, &message, 1, 0);
  return 0;
}
