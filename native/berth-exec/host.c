/* Host-side steps (@pre and @parent): report fd, cgroups, exec fifo, id maps, pid file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "berth.h"

STEP(op_report) {
  if (c->report_prefix) /* serve mode: the reply channel is the report fd already */
    return 0;
  int fd = (int)field_int(s, "fd");
  int flags = fcntl(fd, F_GETFD);
  if (fd < 0 || flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
    return berth_fail(e, errno ? errno : EBADF, "report fd %d", fd);
  c->report_fd = fd;
  return 0;
}

static int remember_cgroup(struct ctx *c, const char *path, struct berth_error *e) {
  char **list = realloc(c->cgroups, (c->ncgroups + 1) * sizeof *list);
  if (list == NULL || (list[c->ncgroups] = strdup(path)) == NULL) {
    if (list)
      c->cgroups = list;
    return berth_fail(e, ENOMEM, "cgroup-mkdir `%s`", path);
  }
  c->cgroups = list;
  c->ncgroups++;
  return 0;
}

/* mkdir -p, remembering each directory it made (parents first). */
static int mkdir_p(struct ctx *c, char *path, struct berth_error *e) {
  if (mkdir(path, 0755) == 0)
    return remember_cgroup(c, path, e);
  if (errno == EEXIST)
    return 0;
  char *slash = strrchr(path, '/');
  if (errno != ENOENT || slash == NULL || slash == path)
    return berth_fail(e, errno, "mkdir `%s`", path);
  *slash = '\0';
  int r = mkdir_p(c, path, e);
  *slash = '/';
  if (r < 0)
    return r;
  if (mkdir(path, 0755) < 0)
    return errno == EEXIST ? 0 : berth_fail(e, errno, "mkdir `%s`", path);
  return remember_cgroup(c, path, e);
}

STEP(op_cgroup_mkdir) {
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s", field_str(s, "path")) >= (int)sizeof path)
    return berth_fail(e, ENAMETOOLONG, "cgroup-mkdir");
  return mkdir_p(c, path, e);
}

STEP(op_cgroup_write) {
  (void)c;
  return write_file(field_str(s, "path"), field_str(s, "value"), e);
}

/* Opens a cgroup v1 `tasks` file now, on the host side (the child may be in a user namespace
 * by the time it writes): cgroup-enter moves the child there. */
STEP(op_cgroup_open) {
  const char *path = field_str(s, "path");
  if (c->nenters == sizeof c->enters / sizeof c->enters[0])
    return berth_fail(e, EMFILE, "cgroup-open `%s`: more than %zu", path, c->nenters);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail(e, errno, "open `%s`", path);
  c->enters[c->nenters].fd = fd;
  c->enters[c->nenters++].path = path;
  return 0;
}

/* Writes `0` (this thread: the whole process, it has one) to each file cgroup-open opened. A
 * thread moving itself spares the kernel its global threadgroup lock, which a pid written to
 * cgroup.procs takes, and which waits for an RCU grace period (~7 ms) when it was idle. */
STEP(op_cgroup_enter) {
  (void)s;
  for (size_t i = 0; i < c->nenters; i++)
    if (write(c->enters[i].fd, "0", 1) != 1)
      return berth_fail(e, errno, "write `0` to `%s`", c->enters[i].path);
  cgroup_close_enters(c);
  return 0;
}

void cgroup_close_enters(struct ctx *c) {
  for (size_t i = 0; i < c->nenters; i++)
    close(c->enters[i].fd);
  c->nenters = 0;
}

/* Makes the fifo (unless it is there) and keeps an O_PATH fd for wait-start. */
STEP(op_exec_fifo) {
  const char *path = field_str(s, "path");
  struct stat st;
  /* 0622: the container's root may be another uid (user namespace); writing is all it does */
  bool made = mkfifo(path, 0622) == 0;
  if (!made && errno != EEXIST)
    return berth_fail(e, errno, "mkfifo `%s`", path);
  if (made && chmod(path, 0622) < 0) /* mkfifo applied the umask */
    return berth_fail(e, errno, "chmod `%s`", path);
  if (made && (c->fifo_path = strdup(path)) == NULL)
    return berth_fail(e, ENOMEM, "exec-fifo");
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0)
    return berth_fail(e, errno, "open exec fifo `%s`", path);
  if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
    close(fd);
    return berth_fail(e, ENOTSUP, "exec fifo `%s` is not a fifo", path);
  }
  if (c->fifo_fd >= 0)
    close(c->fifo_fd);
  c->fifo_fd = fd;
  return 0;
}

static int write_proc(pid_t pid, const char *file, const char *value, struct berth_error *e) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
  return write_file(path, value, e);
}

STEP(op_userns_map) {
  const char *setgroups = field_str(s, "setgroups");
  const char *uid = field_str(s, "uid"), *gid = field_str(s, "gid");
  if (*setgroups && strcmp(setgroups, "deny") != 0 && strcmp(setgroups, "allow") != 0)
    return berth_fail(e, EINVAL, "userns-map: setgroups must be deny, allow or empty");
  if (*setgroups && write_proc(c->child_pid, "setgroups", setgroups, e) < 0)
    return -1;
  if (*uid && write_proc(c->child_pid, "uid_map", uid, e) < 0)
    return -1;
  if (*gid && write_proc(c->child_pid, "gid_map", gid, e) < 0)
    return -1;
  return 0;
}

STEP(op_cgroup_join) {
  char pid[16];
  snprintf(pid, sizeof pid, "%d", c->child_pid);
  return write_file(field_str(s, "path"), pid, e);
}

STEP(op_pidfile) {
  const char *path = field_str(s, "path");
  char tmp[PATH_MAX], pid[16];
  int len = snprintf(pid, sizeof pid, "%d", c->child_pid);
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
    return berth_fail(e, ENAMETOOLONG, "pidfile `%s`", path);
  cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return berth_fail(e, errno, "open `%s`", tmp);
  if (write_all(fd, pid, len) < 0)
    return berth_fail(e, errno, "write `%s`", tmp);
  if (rename(tmp, path) < 0)
    return berth_fail(e, errno, "rename `%s` to `%s`", tmp, path);
  free(c->pidfile);
  c->pidfile = strdup(path);
  return 0;
}

STEP(op_report_pid) {
  (void)s;
  if (c->report_fd < 0)
    return berth_fail(e, EBADF, "report-pid: no `report` fd was set");
  report_line(c, "pid %d\n", c->child_pid);
  return 0;
}
