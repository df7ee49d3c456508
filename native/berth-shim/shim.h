/* berth-shim: the per-container (and per-exec) monitor (native/SHIM.md).
 * One process, one poll loop, no threads; all state in one struct shim, passed around. */
#ifndef SHIM_H
#define SHIM_H

#include "../common/wire.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* Every failing function returns -1 and fills one of these (berth-exec's style). */
struct shim_error {
  int err;
  char msg[512];
};
int shim_fail(struct shim_error *e, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void cleanup_close_fn(int *fd) {
  if (*fd >= 0)
    close(*fd);
}
#define cleanup_close __attribute__((cleanup(cleanup_close_fn)))
static inline int take_fd(int *fd) {
  int r = *fd;
  *fd = -1;
  return r;
}
/* Closes *fd if open and marks it closed. */
void close_fd(int *fd);

enum frame_type {
  F_STDIN = 0,
  F_STDOUT = 1,
  F_STDERR = 2,
  F_CLOSE_STDIN = 3,
  F_RESIZE = 4,
  F_START = 5,
  F_PID = 6,
  F_ERROR = 7,
  F_EXIT = 8,
};

#define MAX_CLIENTS 256
#define MAX_PAYLOAD (1u << 20) /* a frame's payload, both ways */
#define QUEUE_MAX (1u << 20)   /* queued per client before it is dropped */
#define CHUNK 16384            /* one read of output, one log entry at most, stdin buffered */
#define DRAIN_MS 2000          /* output read after the process ended, and EXIT flushed */
#define START_WAIT_MS 600000  /* how long a shim waits for START (BERTH_SHIM_START_WAIT_MS) */
#define STALL_MS 5000          /* a full client that sends nothing for this long is dropped */
#define QUEUE_HIGH (QUEUE_MAX - 8 - CHUNK) /* above this, output waits for the client */

struct client {
  int fd;           /* -1: a free slot */
  uint8_t hdr[8];   /* the frame header being read */
  uint8_t hdr_len;  /* 8: reading the payload */
  uint32_t left;    /* payload bytes still to read */
  char small[32];   /* a RESIZE payload (longer ones are cut) */
  uint32_t small_len;
  char *q;          /* queued output (mmap'd on demand, unmapped once sent) */
  size_t q_off, q_len;
  int64_t stalled;  /* since when its queue is full and nothing could be sent (0: it is not) */
};

struct opts {
  const char *dir, *plan, *exec, *log, *oom;
  pid_t owner; /* --owner: before START, the shim ends once this process has (0: none) */
  bool tty, stdin;
  uint64_t log_max_size;
  int log_max_files;
  char exec_buf[4096];
};

/* The json-file log (log.c). */
struct logfile {
  int fd;
  const char *path;
  uint64_t size, max_size;
  int max_files;
  size_t len;
  char buf[8192];
};

/* Output of one stream not yet logged: a line still without its newline. */
struct linebuf {
  size_t len;
  char data[CHUNK];
};

struct shim {
  struct opts o;
  char sock_path[108], pid_path[4096], console_path[108];
  int listen_fd, sig_fd, null_fd;
  int owner_fd;    /* a pidfd of --owner until START (-1: none) */
  bool owner_gone; /* the owner exited before START: START will not come */
  int console_listen, console_conn;
  int nclients; /* slots in use are below this (clients[], last: pages touched only when used) */

  /* the interpreter and the process */
  bool started;
  pid_t interp_pid;
  bool interp_done;
  int interp_status;
  int report_fd;
  size_t report_len;
  char report[4096];
  pid_t pid;       /* the process, once reported */
  bool exited;
  int status;      /* its wait status */
  bool failed;     /* set-up failed: err_line holds the report line */
  char err_line[4096];
  struct {
    pid_t pid;
    int status;
  } early[8];      /* children reaped before their pid was known */
  unsigned nearly;
  struct timespec started_at, finished_at; /* CLOCK_REALTIME */
  uint64_t oom_base;

  /* stdio: out[0] stdout (the pty with --tty), out[1] stderr; in: stdin's write side */
  int out[2];
  int in_fd, in_read; /* in_read: the pipe's read end, the interpreter's stdin */
  bool close_in;      /* CLOSE_STDIN once the pending bytes are written */
  size_t pend_off, pend_len;
  char pending[CHUNK];
  struct winsize ws;
  bool ws_set;

  struct logfile log;
  struct linebuf lines[2];
  char buf[CHUNK]; /* one read of output; scratch for discarded payloads */
  struct client clients[MAX_CLIENTS];
};

/* util.c */
void percent_decode(const char *in, char *out, size_t outlen);
int64_t mono_ms(void);
/* RFC 3339, UTC, nine fraction digits; `out` holds at least 31 bytes. */
void format_time(const struct timespec *ts, char *out);

/* json.c: a sink counts bytes, appends to memory (buf, cap) or buffers for an fd */
struct sink {
  char *buf;
  size_t cap, len;
  int fd;
  uint64_t total;
};
void sink_put(struct sink *s, const void *p, size_t n);
int sink_flush(struct sink *s);
/* A JSON string's content: " \ and control characters escaped, invalid UTF-8 as \ufffd. */
void json_escape(struct sink *s, const char *p, size_t n);

/* log.c */
int log_open(struct logfile *l, const char *path, uint64_t max_size, int max_files,
             struct shim_error *e);
/* Output of `stream` (0 stdout, 1 stderr) for the log, split into entries. */
void log_output(struct shim *s, int stream, const char *p, size_t n);
/* The stream ended: what is left of its last line is an entry of its own. */
void log_end(struct shim *s, int stream);

/* clients.c */
int attach_listen(struct shim *s, struct shim_error *e);
void client_accept(struct shim *s);
void client_read(struct shim *s, struct client *c);
int client_flush(struct shim *s, struct client *c);
void client_drop(struct shim *s, struct client *c);
void send_frame(struct shim *s, struct client *c, int type, const void *p, size_t n);
void broadcast(struct shim *s, int type, const void *p, size_t n);
void stdin_flush(struct shim *s);

/* process.c */
int console_listen(struct shim *s, struct shim_error *e);
void console_accept(struct shim *s);
void console_receive(struct shim *s);
void start_process(struct shim *s);
void report_read(struct shim *s);
void reap(struct shim *s);
void resize(struct shim *s, const char *text, size_t n);

/* exit.c */
uint64_t oom_count(const char *path);
void write_exit(struct shim *s, char *json, size_t cap, size_t *len);

#endif
