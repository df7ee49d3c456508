/* The attach socket: clients, frames both ways, per-client output queues, stdin. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "shim.h"

/* The queue's mapping: the limit and one more frame, so a frame is queued whole or not at all. */
#define QUEUE_MAP (QUEUE_MAX + 8 + CHUNK + 4096)

/* Binds `path` (mode 0600), replacing a stale socket but not a live one. */
static int listen_at(const char *path, struct shim_error *e) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path)
    return shim_fail(e, ENAMETOOLONG, "socket path `%s`", path);
  strcpy(addr.sun_path, path);
  cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return shim_fail(e, errno, "socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0)
    return shim_fail(e, EADDRINUSE, "`%s` is served by another process", path);
  (void)unlink(path);
  mode_t old = umask(0177);
  int r = bind(fd, (struct sockaddr *)&addr, sizeof addr);
  umask(old);
  if (r < 0)
    return shim_fail(e, errno, "bind `%s`", path);
  if (listen(fd, 64) < 0) {
    int err = errno;
    unlink(path);
    return shim_fail(e, err, "listen on `%s`", path);
  }
  return take_fd(&fd);
}

int attach_listen(struct shim *s, struct shim_error *e) {
  s->listen_fd = listen_at(s->sock_path, e);
  return s->listen_fd < 0 ? -1 : 0;
}

int console_listen(struct shim *s, struct shim_error *e) {
  s->console_listen = listen_at(s->console_path, e);
  return s->console_listen < 0 ? -1 : 0;
}

void client_accept(struct shim *s) {
  int fd;
  while ((fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
    /* a free slot below nclients, else the next one (slots above are never touched) */
    struct client *c = NULL;
    for (int i = 0; i < s->nclients && !c; i++)
      if (s->clients[i].fd < 0)
        c = &s->clients[i];
    if (!c && s->nclients < MAX_CLIENTS)
      c = &s->clients[s->nclients++];
    if (!c) {
      close(fd); /* full */
      continue;
    }
    *c = (struct client){.fd = fd};
    if (s->pid > 0) {
      char text[16];
      send_frame(s, c, F_PID, text, (size_t)snprintf(text, sizeof text, "%d", (int)s->pid));
    } else if (s->failed) {
      send_frame(s, c, F_ERROR, s->err_line, strlen(s->err_line));
    }
  }
}

void client_drop(struct shim *s, struct client *c) {
  close_fd(&c->fd);
  if (c->q)
    munmap(c->q, QUEUE_MAP);
  c->q = NULL;
  while (s->nclients > 0 && s->clients[s->nclients - 1].fd < 0)
    s->nclients--;
}

/* Sends what is queued; unmaps the queue once empty. -1: the client is gone (dropped). */
int client_flush(struct shim *s, struct client *c) {
  while (c->q_off < c->q_len) {
    ssize_t n = send(c->fd, c->q + c->q_off, c->q_len - c->q_off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return 0;
    if (n < 0) {
      client_drop(s, c);
      return -1;
    }
    c->q_off += (size_t)n;
    if (c->stalled)
      c->stalled = mono_ms(); /* it reads: it may hold output back a while longer */
  }
  if (c->q)
    munmap(c->q, QUEUE_MAP);
  c->q = NULL;
  c->q_off = c->q_len = 0;
  return 0;
}

static void enqueue(struct shim *s, struct client *c, const void *p, size_t n) {
  if (!c->q) {
    c->q = mmap(NULL, QUEUE_MAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (c->q == MAP_FAILED) {
      c->q = NULL;
      client_drop(s, c);
      return;
    }
  }
  if (c->q_len + n > QUEUE_MAP) {
    memmove(c->q, c->q + c->q_off, c->q_len - c->q_off);
    c->q_len -= c->q_off;
    c->q_off = 0;
  }
  memcpy(c->q + c->q_len, p, n);
  c->q_len += n;
}

/* One frame to one client: sent at once if nothing is queued, else queued (at most 1 MiB). */
void send_frame(struct shim *s, struct client *c, int type, const void *p, size_t n) {
  uint8_t hdr[8] = {(uint8_t)type, 0, 0, 0, (uint8_t)(n >> 24), (uint8_t)(n >> 16),
                    (uint8_t)(n >> 8), (uint8_t)n};
  size_t sent = 0;
  if (c->q_len == c->q_off) {
    struct iovec iov[2] = {{hdr, 8}, {(void *)p, n}};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
    ssize_t r;
    while ((r = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0 && errno == EINTR)
      ;
    if (r < 0 && errno != EAGAIN) {
      client_drop(s, c);
      return;
    }
    sent = r > 0 ? (size_t)r : 0;
    if (sent == 8 + n)
      return;
  }
  if (c->q_len - c->q_off + 8 + n - sent > QUEUE_MAX) {
    client_drop(s, c); /* it does not read: it may not stall the process */
    return;
  }
  if (sent < 8)
    enqueue(s, c, hdr + sent, 8 - sent);
  if (c->fd >= 0)
    enqueue(s, c, (const char *)p + (sent > 8 ? sent - 8 : 0), n - (sent > 8 ? sent - 8 : 0));
}

void broadcast(struct shim *s, int type, const void *p, size_t n) {
  for (int i = 0; i < s->nclients; i++)
    if (s->clients[i].fd >= 0)
      send_frame(s, &s->clients[i], type, p, n);
}

/* With --tty, stdin is the pty master, which comes over the console socket after START:
 * until then, stdin waits. */
static bool stdin_waits(const struct shim *s) {
  return s->o.tty && s->o.stdin && s->console_listen >= 0;
}

/* Writes pending stdin; a closed reader (the process ended) discards it and closes stdin. */
void stdin_flush(struct shim *s) {
  if (s->in_fd < 0 && stdin_waits(s))
    return;
  while (s->in_fd >= 0 && s->pend_off < s->pend_len) {
    ssize_t n = write(s->in_fd, s->pending + s->pend_off, s->pend_len - s->pend_off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return;
    if (n < 0) {
      close_fd(&s->in_fd);
      break;
    }
    s->pend_off += (size_t)n;
  }
  s->pend_off = s->pend_len = 0;
  if (s->close_in)
    close_fd(&s->in_fd);
}

static void dispatch(struct shim *s, struct client *c, int type) {
  switch (type) {
  case F_START:
    if (!s->started)
      start_process(s);
    break;
  case F_CLOSE_STDIN:
    if (!s->o.tty) {
      s->close_in = true;
      if (s->pend_len == 0)
        close_fd(&s->in_fd);
    }
    break;
  case F_RESIZE:
    resize(s, c->small, c->small_len);
    break;
  }
}

/* Reads a STDIN payload into the pending buffer (when it is empty), or discards it. */
static ssize_t read_stdin_payload(struct shim *s, struct client *c) {
  bool keep = (s->in_fd >= 0 || stdin_waits(s)) && !s->close_in;
  char *dst = keep ? s->pending : s->buf;
  size_t want = c->left < CHUNK ? c->left : CHUNK;
  ssize_t n = read(c->fd, dst, want);
  if (n > 0 && keep) {
    s->pend_off = 0;
    s->pend_len = (size_t)n;
    stdin_flush(s);
  }
  return n;
}

/* Reads what the client sent, frame by frame; stops at a STDIN payload while stdin is full. */
void client_read(struct shim *s, struct client *c) {
  for (int i = 0; i < 64 && c->fd >= 0; i++) {
    ssize_t n;
    if (c->hdr_len < 8) {
      n = read(c->fd, c->hdr + c->hdr_len, 8 - c->hdr_len);
      if (n > 0 && (c->hdr_len += (uint8_t)n) == 8) {
        c->left = (uint32_t)c->hdr[4] << 24 | (uint32_t)c->hdr[5] << 16 |
                  (uint32_t)c->hdr[6] << 8 | c->hdr[7];
        c->small_len = 0;
        if (c->left > MAX_PAYLOAD) {
          client_drop(s, c);
          return;
        }
      }
    } else if (c->hdr[0] == F_STDIN && s->o.stdin) {
      if (s->pend_len > 0)
        return; /* poll waits for stdin to be writable */
      n = read_stdin_payload(s, c);
      c->left -= n > 0 ? (uint32_t)n : 0;
    } else {
      size_t room = sizeof c->small - c->small_len;
      char *dst = room > 0 ? c->small + c->small_len : s->buf;
      size_t want = room > 0 ? room : sizeof s->buf;
      n = read(c->fd, dst, c->left < want ? c->left : want);
      if (n > 0 && room > 0)
        c->small_len += (uint32_t)n;
      c->left -= n > 0 ? (uint32_t)n : 0;
    }
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
      client_drop(s, c);
      return;
    }
    if (n < 0 && errno == EAGAIN)
      return;
    if (c->hdr_len == 8 && c->left == 0) {
      c->hdr_len = 0;
      dispatch(s, c, c->hdr[0]);
    }
  }
}
