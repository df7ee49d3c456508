/* Where a tool's worker listens, what it runs, and how a client starts one. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "warm.h"

int fail(struct warm_error *e, int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  e->err = err;
  return -1;
}

/* A directory this user owns and nobody else can write or enter; created if missing. */
static int private_dir(const char *path, struct warm_error *e) {
  struct stat st;
  if (mkdir(path, 0700) < 0 && errno != EEXIST) return fail(e, errno, "mkdir `%s`", path);
  if (lstat(path, &st) < 0) return fail(e, errno, "stat `%s`", path);
  if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077) != 0)
    return fail(e, EPERM, "`%s` is not a directory of uid %u with mode 0700", path, getuid());
  return 0;
}

static int socket_dir(char *out, size_t len, struct warm_error *e) {
  const char *set = getenv("BERTH_CLI_WARM_DIR"), *xdg = getenv("XDG_RUNTIME_DIR");
  int n;
  if (set && set[0] == '/')
    n = snprintf(out, len, "%s", set);
  else if (getuid() == 0) {
    mkdir("/run/berth", 0755);
    mkdir("/run/berth/cli", 0755);
    n = snprintf(out, len, "/run/berth/cli/%u", getuid());
  } else if (xdg && xdg[0] == '/')
    n = snprintf(out, len, "%s/berth-cli", xdg);
  else
    n = snprintf(out, len, "/tmp/berth-cli-%u", getuid());
  if (n < 0 || (size_t)n >= len) return fail(e, ENAMETOOLONG, "socket directory name too long");
  return private_dir(out, e);
}

/* path:dev:ino:size:mtime of one file, appended. */
static int add_file(char *id, size_t len, const char *path, struct warm_error *e) {
  struct stat st;
  if (stat(path, &st) < 0) return fail(e, errno, "stat `%s`", path);
  size_t used = strlen(id);
  int n = snprintf(id + used, len - used, "%s:%lx:%lx:%lld:%lld.%09ld;", path, (unsigned long)st.st_dev,
                   (unsigned long)st.st_ino, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                   st.st_mtim.tv_nsec);
  if (n < 0 || (size_t)n >= len - used) return fail(e, ENAMETOOLONG, "identity too long");
  return 0;
}

int warm_paths(const struct tool *t, struct warm_paths *p, struct warm_error *e) {
  char fsops[PATH_MAX], wdir[PATH_MAX];
  snprintf(wdir, sizeof wdir, "%s", t->worker);
  snprintf(fsops, sizeof fsops, "%s/../native/build/fsops.node", dirname(wdir));
  p->identity[0] = '\0';
  const char *files[] = {t->node, t->worker, t->cache, t->main, fsops};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    if (add_file(p->identity, sizeof p->identity, files[i], e) < 0) return -1;
  if (socket_dir(p->dir, sizeof p->dir, e) < 0) return -1;
  /* one worker per tool and checkout: the name carries a hash of the bundle's path */
  uint64_t h = 1469598103934665603ull;
  for (const char *c = t->main; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ull;
  const char *base = strrchr(t->main, '/') ? strrchr(t->main, '/') + 1 : t->main;
  size_t blen = strcspn(base, ".");
  int n = snprintf(p->sock, sizeof p->sock, "%s/%.*s-%016llx.sock", p->dir, (int)(blen > 32 ? 32 : blen), base,
                   (unsigned long long)h);
  if (n < 0 || (size_t)n >= sizeof p->sock || (size_t)n >= 96)
    return fail(e, ENAMETOOLONG, "socket path too long in `%s`", p->dir);
  snprintf(p->lock, sizeof p->lock, "%s.lock", p->sock);
  return 0;
}

pid_t spawn_supervisor(const struct tool *t, const struct warm_paths *p, int flags) {
  if (!(flags & SPAWN_FORCE)) {
    cleanup_close int lock = open(p->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0) return 0; /* a worker is pending */
  }
  int bound[2] = {-1, -1};
  if ((flags & SPAWN_WAIT_BOUND) && pipe2(bound, O_CLOEXEC) < 0) bound[0] = bound[1] = -1;
  pid_t child = fork();
  if (child == 0) {
    if (fork() != 0) _exit(0);
    setsid();
    int null = open("/dev/null", O_RDWR);
    if (null < 0) _exit(1);
    for (int fd = 0; fd < 3; fd++) dup2(null, fd);
    /* the end that says "bound" goes to fd 3 (serve() writes a byte there) */
    int notify = bound[1] >= 0 && dup2(bound[1], 3) == 3;
    syscall(SYS_close_range, notify ? 4 : 3, ~0u, 0);
    const char *argv[] = {"berth-warm", "--serve", t->node, t->worker, t->cache, t->main, notify ? "3" : "-", NULL};
    execv("/proc/self/exe", (char **)argv);
    _exit(127);
  }
  if (bound[1] >= 0) close(bound[1]);
  if (child > 0)
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
      ;
  pid_t supervisor = 0;
  if (bound[0] >= 0) {
    /* until the socket is in place (`B` and the supervisor's pid), or the new supervisor gave
     * up (EOF) */
    struct pollfd pfd = {.fd = bound[0], .events = POLLIN};
    char type;
    int32_t pid;
    if (child > 0 && poll(&pfd, 1, 200) == 1 && read_msg(bound[0], &type, &pid) > 0 && type == 'B') supervisor = pid;
    close(bound[0]);
  }
  return supervisor;
}
