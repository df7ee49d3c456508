/* The warm CLI worker's side of native/berth-warm (WARM.md): take one request from the
 * listening socket with the client's stdio, hand the connection to the supervisor, and put the
 * client's fds on 0, 1 and 2. Node has no recvmsg(2) with SCM_RIGHTS. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fsops.h"

#define REQUEST_MAGIC 0x31575242u
#define REQUEST_MAX (8u << 20)

static napi_value int_value(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int32(env, (int32_t)v, &r);
  return r;
}

/* Reads the header (with the three fds) and the body; -1 with errno. */
static int read_request(int conn, int fds[3], char **body, uint32_t *len) {
  uint32_t hdr[2];
  char control[CMSG_SPACE(3 * sizeof(int))];
  struct iovec iov = {.iov_base = hdr, .iov_len = sizeof hdr};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  ssize_t n;
  while ((n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL)) < 0 && errno == EINTR)
    ;
  if (n < 0) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (n != sizeof hdr || !c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(3 * sizeof(int))) {
    if (c && c->cmsg_type == SCM_RIGHTS) /* close what came */
      for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) close(((int *)CMSG_DATA(c))[i]);
    errno = EPROTO;
    return -1;
  }
  memcpy(fds, CMSG_DATA(c), 3 * sizeof(int));
  if (hdr[0] != REQUEST_MAGIC || hdr[1] > REQUEST_MAX || !(*body = malloc(hdr[1] + 1))) goto bad;
  for (uint32_t got = 0; got < hdr[1];) {
    n = read(conn, *body + got, hdr[1] - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) goto bad;
    got += (uint32_t)n;
  }
  *len = hdr[1];
  return 0;
bad:
  for (int i = 0; i < 3; i++) close(fds[i]);
  free(*body);
  *body = NULL;
  errno = EPROTO;
  return -1;
}

/* warmAccept(listenFd, channelFd, idleMs, ioMs): waits up to idleMs for one client, closes the
 * listener, and returns [conn, pid, uid, gid, body, fd0, fd1, fd2]; null when none came. The
 * connection gets ioMs send and receive timeouts. */
napi_value fs_warm_accept(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int64_t lfd, chan, idle, io;
  if (args_get(env, info, argv, 4) < 0 || arg_int(env, argv[0], "listenFd", &lfd) < 0 ||
      arg_int(env, argv[1], "channelFd", &chan) < 0 || arg_int(env, argv[2], "idleMs", &idle) < 0 ||
      arg_int(env, argv[3], "ioMs", &io) < 0)
    return NULL;
  fcntl((int)lfd, F_SETFD, FD_CLOEXEC);
  fcntl((int)chan, F_SETFD, FD_CLOEXEC);
  struct pollfd p = {.fd = (int)lfd, .events = POLLIN};
  int r;
  while ((r = poll(&p, 1, (int)idle)) < 0 && errno == EINTR)
    ;
  if (r < 0) return throw_errno(env, errno, "poll", "listener");
  if (r == 0) {
    close((int)lfd);
    napi_value null;
    napi_get_null(env, &null);
    return null;
  }
  int conn = accept4((int)lfd, NULL, NULL, SOCK_CLOEXEC);
  int saved = errno;
  close((int)lfd); /* one request per worker: the next client goes to the next worker, or cold */
  if (conn < 0) return throw_errno(env, saved, "accept4", "listener");
  struct ucred cred;
  socklen_t clen = sizeof cred;
  struct timeval tv = {.tv_sec = io / 1000, .tv_usec = (io % 1000) * 1000};
  int fds[3];
  cleanup_free char *body = NULL;
  uint32_t len = 0;
  if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
      setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
      setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0 || read_request(conn, fds, &body, &len) < 0) {
    saved = errno;
    close(conn);
    return throw_errno(env, saved, "recvmsg", "request");
  }
  napi_value out, buf;
  if (napi_create_array(env, &out) != 0 || napi_create_buffer_copy(env, len, body, NULL, &buf) != 0) return NULL;
  int64_t nums[] = {conn, cred.pid, cred.uid, cred.gid};
  for (uint32_t i = 0; i < 4; i++) napi_set_element(env, out, i, int_value(env, nums[i]));
  napi_set_element(env, out, 4, buf);
  for (uint32_t i = 0; i < 3; i++) napi_set_element(env, out, 5 + i, int_value(env, fds[i]));
  return out;
}

/* warmPending(listenFd): whether a client waits in the backlog (the worker then stops warming
 * up and takes it: it would wait for the rest otherwise). */
napi_value fs_warm_pending(napi_env env, napi_callback_info info) {
  napi_value argv[1], r;
  int64_t lfd;
  if (args_get(env, info, argv, 1) < 0 || arg_int(env, argv[0], "listenFd", &lfd) < 0) return NULL;
  struct pollfd p = {.fd = (int)lfd, .events = POLLIN};
  napi_create_int32(env, poll(&p, 1, 0) > 0, &r);
  return r;
}

/* warmHandOff(channelFd, conn): sends the connection to the supervisor, which reports the exit
 * status on it. */
napi_value fs_warm_hand_off(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int64_t chan, conn;
  if (args_get(env, info, argv, 2) < 0 || arg_int(env, argv[0], "channelFd", &chan) < 0 ||
      arg_int(env, argv[1], "conn", &conn) < 0)
    return NULL;
  int fd = (int)conn;
  char byte = 'A', control[CMSG_SPACE(sizeof fd)] = {0};
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof fd);
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t n;
  while ((n = sendmsg((int)chan, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
    ;
  return n != 1 ? throw_errno(env, errno, "sendmsg", "supervisor") : undefined(env);
}

/* warmStdio(fd0, fd1, fd2): dup2s each onto 0, 1, 2 and closes the originals. */
napi_value fs_warm_stdio(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int64_t fds[3];
  if (args_get(env, info, argv, 3) < 0) return NULL;
  for (int i = 0; i < 3; i++)
    if (arg_int(env, argv[i], "fd", &fds[i]) < 0) return NULL;
  for (int i = 0; i < 3; i++)
    if (dup2((int)fds[i], i) < 0) return throw_errno(env, errno, "dup2", "stdio");
  for (int i = 0; i < 3; i++)
    if (fds[i] > 2) close((int)fds[i]);
  return undefined(env);
}
