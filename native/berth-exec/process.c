/* Namespaces and processes: setns, clone, sync, wait-child. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "berth.h"

static const struct {
  const char *name;
  int flag;
} namespaces[] = {
    {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},   {"pid", CLONE_NEWPID},
    {"net", CLONE_NEWNET},   {"ipc", CLONE_NEWIPC},  {"uts", CLONE_NEWUTS},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

static int ns_flag(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++)
    if (strlen(namespaces[i].name) == len && strncmp(namespaces[i].name, name, len) == 0)
      return namespaces[i].flag;
  return 0;
}

/* Opens /proc/PID and checks that the process there started at `start` (field 22 of its stat):
 * a pid reused by another process is refused, and later setns paths under /proc/PID/ go
 * through this descriptor, so they reach this process or fail (ESRCH), never a newcomer. */
STEP(op_pin_pid) {
  pid_t pid = (pid_t)field_int(s, "pid");
  const char *start = field_str(s, "start");
  char dir[64], stat[1024];
  snprintf(dir, sizeof dir, "/proc/%d", (int)pid);
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail(e, errno == ENOENT ? ESRCH : errno, "container process %d is gone", (int)pid);
  cleanup_close int sfd = openat(fd, "stat", O_RDONLY | O_CLOEXEC);
  ssize_t n = sfd < 0 ? -1 : read(sfd, stat, sizeof stat - 1);
  if (n <= 0) {
    close(fd);
    return berth_fail(e, ESRCH, "container process %d is gone", (int)pid);
  }
  stat[n] = '\0';
  /* field 22; the command (field 2) may hold spaces and parentheses: count after the last ')' */
  char *p = strrchr(stat, ')');
  for (int field = 2; p && field < 22; field++)
    p = strchr(p + 1, ' ');
  size_t len = p ? strcspn(p + 1, " ") : 0;
  if (!p || len != strlen(start) || strncmp(p + 1, start, len) != 0) {
    close(fd);
    return berth_fail(e, ESRCH, "container process %d is gone (its pid belongs to another process now)",
                      (int)pid);
  }
  c->pinned_fd = fd;
  c->pinned_pid = pid;
  return 0;
}

/* In @pre, pid and time apply to the children only; in @child it joins the container's. */
STEP(op_setns) {
  const char *path = field_str(s, "path"), *type = field_str(s, "type");
  int flag = ns_flag(type, strlen(type));
  if (flag == 0)
    return berth_fail(e, EINVAL, "setns: unknown namespace type `%s`", type);
  char prefix[64];
  int plen = c->pinned_fd >= 0 ? snprintf(prefix, sizeof prefix, "/proc/%d/", (int)c->pinned_pid) : 0;
  cleanup_close int fd = plen > 0 && strncmp(path, prefix, (size_t)plen) == 0
                             ? openat(c->pinned_fd, path + plen, O_RDONLY | O_CLOEXEC)
                             : open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail(e, errno, "open `%s`", path);
  if (setns(fd, flag) < 0)
    return berth_fail(e, errno, "setns `%s`", path);
  return 0;
}

static int parse_clone_flags(const char *list, int *flags, bool *time, struct berth_error *e) {
  for (const char *p = list; *p;) {
    size_t len = strcspn(p, ",");
    int flag = ns_flag(p, len);
    if (flag == 0)
      return berth_fail(e, EINVAL, "clone: unknown namespace `%.*s`", (int)len, p);
    if (flag == CLONE_NEWTIME)
      *time = true; /* clone(2) cannot take it: unshare makes it apply to the children */
    else
      *flags |= flag;
    p += len + (p[len] == ',');
  }
  return 0;
}

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* clone(2) like fork, or clone3(2) with CLONE_INTO_CGROUP when `cgroup` is open: the child starts
 * in that cgroup v2 directory, without the global lock a later cgroup.procs write takes. */
static long clone_child(unsigned long flags, int cgroup) {
  if (cgroup < 0)
    return syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  struct {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
        set_tid_size, cgroup;
  } args = {.flags = flags | CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)cgroup};
  return syscall(SYS_clone3, &args, sizeof args);
}

STEP(op_clone) {
  int flags = 0, sv[2];
  bool time = false;
  const char *cgroup = field_str(s, "cgroup");
  cleanup_close int cgroup_fd = -1;
  if (parse_clone_flags(field_str(s, "flags"), &flags, &time, e) < 0)
    return -1;
  /* The child's seccomp filters are compiled here, on the host side (see seccomp.c). */
  if (seccomp_compile(c, c->plan, e) < 0)
    return -1;
  if (*cgroup && (cgroup_fd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return berth_fail(e, errno, "open cgroup `%s`", cgroup);
  if (time && unshare(CLONE_NEWTIME) < 0)
    return berth_fail(e, errno, "unshare time namespace");
  if (sync_open(sv, e) < 0)
    return -1;
  long pid = clone_child((unsigned long)flags, cgroup_fd);
  if (pid < 0) {
    int err = errno;
    close(sv[0]);
    close(sv[1]);
    return berth_fail(e, err, "clone `%s`%s%s", field_str(s, "flags"), *cgroup ? " into " : "",
                      cgroup);
  }
  if (pid == 0) {
    c->is_child = true;
    close(sv[0]);
    c->sync_fd = sv[1];
    close_fd(&c->report_fd); /* the child reports through the parent */
    return 0;
  }
  close(sv[1]);
  c->sync_fd = sv[0];
  c->child_pid = (pid_t)pid;
  close_fd(&c->console_fd);
  close_fd(&c->fifo_fd);
  cgroup_close_enters(c); /* the child's to write */
  signal(SIGPIPE, SIG_IGN); /* a closed report reader must not kill the parent */
  return 0;
}

STEP(op_sync) {
  (void)s;
  return c->is_child ? sync_child(c, e) : sync_parent(c, e);
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH,
                                SIGCONT};

static int wait_forwarding(pid_t pid, int *status, struct berth_error *e) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
    sigaddset(&set, forwarded[i]);
  sigprocmask(SIG_BLOCK, &set, NULL);
  for (;;) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid)
      return 0;
    if (r < 0 && errno != EINTR)
      return berth_fail(e, errno, "wait for the child %d", pid);
    int sig = sigwaitinfo(&set, NULL);
    if (sig > 0 && sig != SIGCHLD)
      kill(pid, sig);
  }
}

STEP(op_wait_child) {
  int status;
  size_t nsignals = sizeof forwarded / sizeof forwarded[0];
  int r = c->console_pair ? proxy_until_exit(c, forwarded, nsignals, &status, e)
                          : wait_forwarding(c->child_pid, &status, e);
  if (r < 0)
    return -1;
  c->child_pid = -1;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  struct berth_error child;
  if (sync_take_error(c, &child)) { /* setup or exec failed after the last sync */
    report_failure(c, s, &child);
    parent_cleanup(c);
  } else {
    report_line(c, "exit %d\n", code);
  }
  exit(code);
}
