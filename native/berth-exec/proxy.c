/* A terminal without a console socket (a foreground `run` or `exec`): `console-pair` gives the
 * child one end of a socketpair to send its pty master over; `wait-child` then relays between
 * the master and its own stdin/stdout (the caller's terminal, put in raw mode meanwhile),
 * copies window-size changes, and forwards signals until the child exits. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "berth.h"

static void drop_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

STEP(op_console_pair) {
  (void)s;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return berth_fail(e, errno, "socketpair for the console");
  drop_fd(&c->console_fd);
  c->console_fd = sv[1]; /* the child's end, for console-pty */
  c->console_peer = sv[0];
  c->console_pair = true;
  return 0;
}

static int recv_fd(int sock) {
  char name[64];
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = {name, sizeof name};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = sizeof u.buf};
  ssize_t n;
  while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
    ;
  struct cmsghdr *cmsg = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
  if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS) {
    errno = n < 0 ? errno : EPROTO;
    return -1;
  }
  int fd;
  memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
  return fd;
}

static void copy_winsize(int from, int to) {
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0)
    ioctl(to, TIOCSWINSZ, &ws);
}

/* Moves what is readable on `in` to `out`; 0 at end of input (or a closed pty: EIO). */
static int pump(int in, int out) {
  char buf[8192];
  ssize_t n = read(in, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 1;
  if (n <= 0)
    return 0;
  write_all(out, buf, (size_t)n);
  return 1;
}

struct raw_tty {
  bool active;
  struct termios saved;
};

static void tty_raw(struct raw_tty *t) {
  if (!isatty(0) || tcgetattr(0, &t->saved) < 0)
    return;
  struct termios raw = t->saved;
  cfmakeraw(&raw);
  t->active = tcsetattr(0, TCSANOW, &raw) == 0;
}

static void tty_restore(struct raw_tty *t) {
  if (t->active)
    tcsetattr(0, TCSANOW, &t->saved);
}

/* Relays until the child exits; fills its wait status. */
int proxy_until_exit(struct ctx *c, const int *signals, size_t nsignals, int *status,
                     struct berth_error *e) {
  cleanup_close int master = recv_fd(c->console_peer);
  drop_fd(&c->console_peer);
  if (master < 0)
    return berth_fail(e, errno, "receive the pty master from the child");
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  for (size_t i = 0; i < nsignals; i++)
    sigaddset(&set, signals[i]);
  sigprocmask(SIG_BLOCK, &set, NULL);
  cleanup_close int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (sfd < 0)
    return berth_fail(e, errno, "signalfd");
  struct raw_tty tty = {0};
  tty_raw(&tty);
  if (isatty(0))
    copy_winsize(0, master);
  struct pollfd fds[3] = {{sfd, POLLIN, 0}, {master, POLLIN, 0}, {0, POLLIN, 0}};
  bool exited = false;
  for (;;) {
    if (!exited && waitpid(c->child_pid, status, WNOHANG) == c->child_pid)
      exited = true;
    if (exited && fds[1].fd < 0)
      break;
    int ready = poll(fds, 3, exited ? 100 : -1);
    if (ready == 0) /* the child is gone and the pty has gone quiet */
      break;
    if (ready < 0)
      continue;
    if (fds[1].revents && !pump(master, 1))
      fds[1].fd = -1;
    if (fds[2].revents && !pump(0, master))
      fds[2].fd = -1;
    struct signalfd_siginfo si;
    if ((fds[0].revents & POLLIN) && read(sfd, &si, sizeof si) == sizeof si) {
      if (si.ssi_signo == SIGWINCH && isatty(0))
        copy_winsize(0, master);
      else if (si.ssi_signo != SIGCHLD)
        kill(c->child_pid, (int)si.ssi_signo);
    }
  }
  tty_restore(&tty);
  if (!exited && waitpid(c->child_pid, status, 0) < 0)
    return berth_fail(e, errno, "wait for the child %d", c->child_pid);
  return 0;
}
