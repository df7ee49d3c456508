/* OCI hooks: fork + execve with the state JSON on stdin (a memfd: never blocks, no SIGPIPE),
 * stderr captured in another memfd for the error message, waited with a pidfd and a timeout
 * (on expiry the hook's process group is killed). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "berth.h"

static int state_memfd(const struct step *s, pid_t pid, struct berth_error *e) {
  cleanup_close int fd = memfd_create("berth-hook-state", MFD_CLOEXEC);
  char num[16];
  int n = snprintf(num, sizeof num, "%d", pid);
  const char *prefix = field_str(s, "state-prefix"), *suffix = field_str(s, "state-suffix");
  if (fd < 0 || write_all(fd, prefix, strlen(prefix)) < 0 || write_all(fd, num, n) < 0 ||
      write_all(fd, suffix, strlen(suffix)) < 0 || lseek(fd, 0, SEEK_SET) < 0)
    return berth_fail(e, errno, "hook state");
  return take_fd(&fd);
}

static void __attribute__((noreturn)) hook_child(const struct step *s, int in, int err) {
  const char *path = field_str(s, "path");
  char *fallback[] = {(char *)path, NULL};
  char **argv = field_list(s, "arg", NULL), **envp = field_list(s, "env", NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  setpgid(0, 0); /* its own process group: a timeout kills what it started too */
  if (dup2(in, 0) < 0 || dup2(err, 2) < 0 || argv == NULL || envp == NULL)
    _exit(127);
  execve(path, argv[0] ? argv : fallback, envp);
  dprintf(2, "exec `%s`: %s\n", path, strerror(errno));
  _exit(127);
}

/* Waits for the hook, at most `timeout` seconds (0: no limit). 1 when it timed out. */
static int wait_hook(pid_t pid, long long timeout, int *status) {
  cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  int ms = timeout <= 0 ? -1 : timeout >= INT_MAX / 1000 ? INT_MAX : (int)timeout * 1000;
  if (pidfd >= 0 && ms >= 0) {
    struct pollfd p = {pidfd, POLLIN, 0};
    int r;
    while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
      ;
    if (r == 0 && kill(-pid, SIGKILL) < 0)
      kill(pid, SIGKILL);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
      ;
    return r == 0;
  }
  while (waitpid(pid, status, 0) < 0 && errno == EINTR)
    ;
  return 0;
}

static void first_line(int fd, char *buf, size_t size) {
  ssize_t n = pread(fd, buf, size - 1, 0);
  buf[n > 0 ? n : 0] = '\0';
  buf[strcspn(buf, "\n")] = '\0';
}

STEP(op_hook) {
  const char *name = field_str(s, "name"), *path = field_str(s, "path");
  long long timeout = field_int(s, "timeout");
  char line[256];
  int status;
  cleanup_close int in = state_memfd(s, c->child_pid, e);
  if (in < 0)
    return -1;
  cleanup_close int err = memfd_create("berth-hook-stderr", MFD_CLOEXEC);
  if (err < 0)
    return berth_fail(e, errno, "hook `%s` `%s`: memfd", name, path);
  pid_t pid = fork();
  if (pid < 0)
    return berth_fail(e, errno, "hook `%s` `%s`: fork", name, path);
  if (pid == 0)
    hook_child(s, in, err);
  setpgid(pid, pid); /* also here: no race with a timeout before the child runs */
  if (wait_hook(pid, timeout, &status))
    return berth_fail(e, ETIMEDOUT, "hook `%s` `%s` timed out after %lld s", name, path, timeout);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  first_line(err, line, sizeof line);
  if (WIFSIGNALED(status))
    return berth_fail(e, 0, "hook `%s` `%s` was killed by signal %d%s%s", name, path,
                      WTERMSIG(status), *line ? ": " : "", line);
  return berth_fail(e, 0, "hook `%s` `%s` exited with status %d%s%s", name, path,
                    WEXITSTATUS(status), *line ? ": " : "", line);
}
