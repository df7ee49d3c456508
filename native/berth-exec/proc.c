/* Process attributes of the child: ids, session, names, sysctls, limits, umask, cwd, fds,
 * and the wait for `start`. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "berth.h"

STEP(op_become_root) {
  (void)c;
  (void)s;
  if (setresgid(0, 0, 0) < 0)
    return berth_fail(e, errno, "setresgid 0");
  if (setresuid(0, 0, 0) < 0)
    return berth_fail(e, errno, "setresuid 0");
  return 0;
}

STEP(op_setsid) {
  (void)c;
  (void)s;
  return setsid() < 0 ? berth_fail(e, errno, "setsid") : 0;
}

STEP(op_hostname) {
  (void)c;
  const char *v = field_str(s, "value");
  return sethostname(v, strlen(v)) < 0 ? berth_fail(e, errno, "sethostname `%s`", v) : 0;
}

STEP(op_domainname) {
  (void)c;
  const char *v = field_str(s, "value");
  return setdomainname(v, strlen(v)) < 0 ? berth_fail(e, errno, "setdomainname `%s`", v) : 0;
}

/* /proc/sys/<key with every . as />: no `..` can survive the translation. */
STEP(op_sysctl) {
  (void)c;
  char path[PATH_MAX];
  const char *key = field_str(s, "key");
  int n = snprintf(path, sizeof path, "/proc/sys/%s", key);
  if (n >= (int)sizeof path || *key == '\0')
    return berth_fail(e, EINVAL, "sysctl `%s`", key);
  for (char *p = path + 10; *p; p++)
    if (*p == '.')
      *p = '/';
  return write_file(path, field_str(s, "value"), e);
}

static const struct {
  const char *name;
  int resource;
} rlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

static rlim_t rlimit_value(const char *v) {
  return strcmp(v, "unlimited") == 0 ? RLIM_INFINITY : (rlim_t)strtoull(v, NULL, 10);
}

STEP(op_rlimit) {
  (void)c;
  const char *name = field_str(s, "resource");
  const char *soft = field_str(s, "soft"), *hard = field_str(s, "hard");
  struct rlimit rl = {rlimit_value(soft), rlimit_value(hard)};
  for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++) {
    if (strcmp(rlimits[i].name, name) != 0)
      continue;
    if (setrlimit((__rlimit_resource_t)rlimits[i].resource, &rl) < 0)
      return berth_fail(e, errno, "setrlimit %s soft=%s hard=%s", name, soft, hard);
    return 0;
  }
  return berth_fail(e, EINVAL, "rlimit: unknown resource `%s`", name);
}

STEP(op_oom_score_adj) {
  (void)c;
  return write_file("/proc/self/oom_score_adj", field_str(s, "value"), e);
}

STEP(op_umask) {
  (void)c;
  (void)e;
  umask((mode_t)field_num(s, "value", 8) & 0777);
  return 0;
}

STEP(op_chdir) {
  (void)c;
  const char *path = field_str(s, "path");
  return chdir(path) < 0 ? berth_fail(e, errno, "chdir `%s`", path) : 0;
}

STEP(op_close_fds) {
  (void)c;
  unsigned int first = 3 + (unsigned int)field_int(s, "keep");
  if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    return berth_fail(e, errno, "close_range %u", first);
  return 0;
}

/* Blocks in open(2) until `start` opens the fifo for reading, then signals it. */
STEP(op_wait_start) {
  (void)s;
  char path[32];
  if (c->fifo_fd < 0)
    return berth_fail(e, EBADF, "wait-start: no `exec-fifo` was opened");
  snprintf(path, sizeof path, "/proc/self/fd/%d", c->fifo_fd);
  cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail(e, errno, "open the exec fifo");
  if (write_all(fd, "0", 1) < 0)
    return berth_fail(e, errno, "write the exec fifo");
  close(c->fifo_fd);
  c->fifo_fd = -1;
  return 0;
}
