/* berth-warm: the front-end of bin/berth and bin/berth-runtime (see WARM.md). It hands a command
 * to a pre-started Node worker over a per-user unix socket, or execs Node cold. */
#ifndef BERTH_WARM_H
#define BERTH_WARM_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* The files a command runs: node, the worker script, build/code-cache.cjs and the bundle. */
struct tool {
  const char *node, *worker, *cache, *main;
};

struct warm_error {
  int err;
  char msg[256];
};

/* The paths of a tool's worker: its socket, the lock a pending worker holds, the identity string
 * of the files it runs (path, device, inode, size, mtime of each). */
struct warm_paths {
  char dir[128];
  char sock[192];
  char lock[200];
  char identity[2048];
};

/* Message bytes on the connection (WARM.md): worker -> client R(pid) or N; client -> worker G;
 * supervisor -> client E(code) or S(signal). Each is one byte and an int32. */
enum { MSG_READY = 'R', MSG_REFUSE = 'N', MSG_GO = 'G', MSG_EXIT = 'E', MSG_SIGNAL = 'S' };
#define REQUEST_MAGIC 0x31575242u /* "BRW1" */

static inline void cleanup_close_fn(int *fd) {
  if (*fd >= 0) close(*fd);
}
#define cleanup_close __attribute__((cleanup(cleanup_close_fn)))
static inline void cleanup_free_fn(void *p) { free(*(void **)p); }
#define cleanup_free __attribute__((cleanup(cleanup_free_fn)))

/* Fills err and returns -1. */
int fail(struct warm_error *e, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* paths.c: the socket directory (created 0700, and used only if this user owns it and nobody
 * else can enter it), the socket and lock names and the identity. */
int warm_paths(const struct tool *t, struct warm_paths *p, struct warm_error *e);
/* Starts a supervisor for this tool in the background (double fork, new session, stdio on
 * /dev/null) unless one is pending (its lock is held) and not `force`d (a worker that refused
 * still holds it while it exits). Never fails visibly. */
enum { SPAWN_FORCE = 1, SPAWN_WAIT_BOUND = 2 };
/* SPAWN_WAIT_BOUND: returns once the new socket is bound (at most 200 ms), so that the next
 * command finds it, with the new supervisor's pid (0 when not known). */
pid_t spawn_supervisor(const struct tool *t, const struct warm_paths *p, int flags);

/* serve.c: the supervisor (`berth-warm --serve NODE WORKER CACHE MAIN NOTIFY`); NOTIFY is the fd
 * to write one byte to once the socket is bound, or -1. */
int serve(const struct tool *t, int notify);

/* nice.c: whether this process may give a lowered worker its priority back (CAP_SYS_NICE or
 * RLIMIT_NICE); lowering the calling thread to nice 19; giving every thread of `pid` `nice`. */
int can_restore_nice(void);
int lower_nice(void);
int restore_nice(pid_t pid, int nice);
/* Whether an autogroup's nice value can be lowered and given back at once (CAP_SYS_ADMIN: the
 * kernel limits others to one change per 100 ms system-wide); the open /proc/PID/autogroup of
 * `pid` (-1 if not); setting the nice value through it. */
int can_lower_autogroup(void);
int open_autogroup(pid_t pid);
int set_autogroup_nice(int fd, int nice);

/* io.c */
int write_all(int fd, const void *buf, size_t len);
int read_msg(int fd, char *type, int32_t *value);
int write_msg(int fd, char type, int32_t value);

#endif
