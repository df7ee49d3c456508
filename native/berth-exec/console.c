/* The console: connect to the caller's socket (@pre); in the child make a pty, send the
 * master over the socket (SCM_RIGHTS, payload: the slave's path) and make the slave the
 * controlling terminal and stdio. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>

#include "berth.h"

STEP(op_console_connect) {
  const char *path = field_str(s, "path");
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path)
    return berth_fail(e, ENAMETOOLONG, "console socket `%s`", path);
  strcpy(addr.sun_path, path);
  cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return berth_fail(e, errno, "socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    return berth_fail(e, errno, "connect to console socket `%s`", path);
  if (c->console_fd >= 0)
    close(c->console_fd);
  c->console_fd = take_fd(&fd);
  return 0;
}

static int send_fd(int sock, int fd, const char *name) {
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = {(void *)name, strlen(name)};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = sizeof u.buf};
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  ssize_t n;
  while ((n = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
    ;
  return n < 0 ? -1 : 0;
}

static int open_pty(int *slave, char name[32], const struct step *s, struct berth_error *e) {
  int n, unlock = 0;
  cleanup_close int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return berth_fail(e, errno, "open `/dev/ptmx`");
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0)
    return berth_fail(e, errno, "unlock the pty");
  snprintf(name, 32, "/dev/pts/%d", n);
  *slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*slave < 0)
    return berth_fail(e, errno, "open `%s`", name);
  struct winsize ws = {(unsigned short)field_int(s, "rows"), (unsigned short)field_int(s, "cols"), 0, 0};
  if ((ws.ws_row || ws.ws_col) && ioctl(*slave, TIOCSWINSZ, &ws) < 0)
    return berth_fail(e, errno, "set the size of `%s`", name);
  return take_fd(&master);
}

STEP(op_console_pty) {
  char name[32];
  cleanup_close int slave = -1;
  if (c->console_fd < 0)
    return berth_fail(e, EBADF, "console-pty: no `console-connect` socket");
  cleanup_close int master = open_pty(&slave, name, s, e);
  if (master < 0)
    return -1;
  if (send_fd(c->console_fd, master, name) < 0)
    return berth_fail(e, errno, "send the pty master over the console socket");
  close(c->console_fd);
  c->console_fd = -1;
  if (ioctl(slave, TIOCSCTTY, 0) < 0)
    return berth_fail(e, errno, "make `%s` the controlling terminal", name);
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0)
      return berth_fail(e, errno, "dup `%s` to fd %d", name, fd);
  if (slave <= 2 && fcntl(slave, F_SETFD, 0) == 0)
    slave = -1; /* it is stdio now: dup2 onto itself kept O_CLOEXEC */
  return 0;
}
