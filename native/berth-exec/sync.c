/* The sync channel between the parent and the child: a close-on-exec SOCK_SEQPACKET pair.
 * Each `sync` is "send READY, receive READY"; the parent's first READY carries the child's
 * pid. A failing child sends one ERROR record (step, op, errno, message) and exits. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "berth.h"

enum { SYNC_READY = 1, SYNC_ERROR = 2 };

struct sync_msg {
  int32_t kind;
  int32_t step;
  int32_t err;
  int32_t value;
  char op[32];
  char msg[1024];
};

int sync_open(int sv[2], struct berth_error *e) {
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return berth_fail(e, errno, "socketpair");
  return 0;
}

static int send_msg(int fd, const struct sync_msg *m) {
  ssize_t n;
  do
    n = send(fd, m, sizeof *m, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n == (ssize_t)sizeof *m ? 0 : -1;
}

static ssize_t recv_msg(int fd, struct sync_msg *m, int flags) {
  ssize_t n;
  do
    n = recv(fd, m, sizeof *m, flags);
  while (n < 0 && errno == EINTR);
  if (n > 0 && n != (ssize_t)sizeof *m) {
    errno = EPROTO;
    return -1;
  }
  return n;
}

static void to_error(const struct sync_msg *m, struct berth_error *e) {
  e->err = m->err;
  e->step = m->step;
  memcpy(e->op, m->op, sizeof e->op);
  e->op[sizeof e->op - 1] = '\0';
  memcpy(e->msg, m->msg, sizeof e->msg);
  e->msg[sizeof e->msg - 1] = '\0';
}

int sync_parent(struct ctx *c, struct berth_error *e) {
  struct sync_msg m = {.kind = SYNC_READY, .value = c->syncs == 0 ? c->child_pid : 0};
  c->syncs++;
  (void)send_msg(c->sync_fd, &m); /* if the child is gone, its error may still be queued */
  ssize_t n = recv_msg(c->sync_fd, &m, 0);
  if (n < 0)
    return berth_fail(e, errno, "sync %u: receive", c->syncs);
  if (n == 0)
    return berth_fail(e, 0, "sync %u: the child exited or ran exec before it", c->syncs);
  if (m.kind == SYNC_ERROR) {
    to_error(&m, e);
    return -1;
  }
  return 0;
}

int sync_child(struct ctx *c, struct berth_error *e) {
  struct sync_msg m = {.kind = SYNC_READY};
  c->syncs++;
  if (send_msg(c->sync_fd, &m) < 0)
    return berth_fail(e, errno, "sync %u: the parent is gone", c->syncs);
  ssize_t n = recv_msg(c->sync_fd, &m, 0);
  if (n <= 0 || m.kind != SYNC_READY)
    return berth_fail(e, n < 0 ? errno : 0, "sync %u: the parent is gone", c->syncs);
  if (c->syncs == 1)
    c->child_pid = m.value;
  return 0;
}

int sync_send_error(struct ctx *c, int step, const char *op, const struct berth_error *err) {
  if (c->sync_fd < 0)
    return -1;
  struct sync_msg m = {.kind = SYNC_ERROR, .step = step, .err = err->err};
  snprintf(m.op, sizeof m.op, "%s", op);
  snprintf(m.msg, sizeof m.msg, "%s", err->msg);
  return send_msg(c->sync_fd, &m);
}

/* An error record the child already queued, if any (does not block). */
bool sync_take_error(struct ctx *c, struct berth_error *out) {
  struct sync_msg m;
  if (c->sync_fd < 0 || recv_msg(c->sync_fd, &m, MSG_DONTWAIT) <= 0 || m.kind != SYNC_ERROR)
    return false;
  to_error(&m, out);
  return true;
}
