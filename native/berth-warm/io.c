/* Whole writes and the fixed five-byte messages of the connection. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "warm.h"

int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    /* no SIGPIPE from a peer that went away (the client must not die of it) */
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* 1 on a message, 0 on EOF, -1 with errno on failure (EAGAIN: the receive timeout). */
int read_msg(int fd, char *type, int32_t *value) {
  char buf[5];
  size_t got = 0;
  while (got < sizeof buf) {
    ssize_t n = read(fd, buf + got, sizeof buf - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) return got == 0 ? 0 : (errno = EPROTO, -1);
    got += (size_t)n;
  }
  *type = buf[0];
  memcpy(value, buf + 1, sizeof *value);
  return 1;
}

int write_msg(int fd, char type, int32_t value) {
  char buf[5] = {type};
  memcpy(buf + 1, &value, sizeof value);
  return write_all(fd, buf, sizeof buf);
}
