/* exec: execve, looking arg[0] up in the plan's PATH (not berth-exec's) when it has no '/'. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *plan_path(char **envp) {
  for (char **v = envp; *v; v++)
    if (strncmp(*v, "PATH=", 5) == 0)
      return *v + 5;
  return DEFAULT_PATH;
}

/* Tries each PATH entry like execvp; returns only on failure. */
static int exec_search(char **argv, char **envp, struct berth_error *e) {
  const char *path = plan_path(envp);
  int denied = 0;
  char candidate[PATH_MAX];
  for (const char *p = path;; p++) {
    size_t len = strcspn(p, ":");
    int n = snprintf(candidate, sizeof candidate, "%.*s/%s", (int)len, len ? p : ".", argv[0]);
    if (n > 0 && (size_t)n < sizeof candidate) {
      execve(candidate, argv, envp);
      if (errno == EACCES)
        denied = 1;
      else if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP && errno != ENAMETOOLONG)
        return berth_fail(e, errno, "exec `%s`", candidate);
    }
    p += len;
    if (*p == '\0')
      break;
  }
  if (denied)
    return berth_fail(e, EACCES, "exec: `%s`", argv[0]);
  berth_fail(e, 0, "exec: `%s`: executable file not found in $PATH", argv[0]);
  e->err = ENOENT;
  return -1;
}

STEP(op_exec) {
  (void)c;
  size_t argc;
  cleanup_free char **argv = field_list(s, "arg", &argc);
  cleanup_free char **envp = field_list(s, "env", NULL);
  if (argv == NULL || envp == NULL)
    return berth_fail(e, ENOMEM, "exec");
  if (argc == 0)
    return berth_fail(e, EINVAL, "exec: no arguments");
  if (strchr(argv[0], '/') == NULL)
    return exec_search(argv, envp, e);
  execve(argv[0], argv, envp);
  return berth_fail(e, errno, "exec `%s`", argv[0]);
}

/* 0 when `path` is a regular file this process may execute; else the errno execve would give. */
static int runnable(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0)
    return errno;
  if (!S_ISREG(st.st_mode))
    return EACCES;
  return access(path, X_OK) < 0 ? errno : 0;
}

/* Finds what `exec` will run, as the user it will run as, without running it: so that a
 * missing or non-executable program fails while the parent still listens (runc's LookPath). */
STEP(op_check_exec) {
  (void)c;
  size_t argc;
  cleanup_free char **argv = field_list(s, "arg", &argc);
  cleanup_free char **envp = field_list(s, "env", NULL);
  if (argv == NULL || envp == NULL)
    return berth_fail(e, ENOMEM, "check-exec");
  if (argc == 0)
    return berth_fail(e, EINVAL, "exec: no arguments");
  if (strchr(argv[0], '/') != NULL) {
    int err = runnable(argv[0]);
    return err ? berth_fail(e, err, "exec `%s`", argv[0]) : 0;
  }
  int denied = 0;
  char candidate[PATH_MAX];
  for (const char *p = plan_path(envp);; p++) {
    size_t len = strcspn(p, ":");
    int n = snprintf(candidate, sizeof candidate, "%.*s/%s", (int)len, len ? p : ".", argv[0]);
    if (n > 0 && (size_t)n < sizeof candidate) {
      int err = runnable(candidate);
      if (err == 0)
        return 0;
      if (err == EACCES)
        denied = 1;
    }
    p += len;
    if (*p == '\0')
      break;
  }
  if (denied)
    return berth_fail(e, EACCES, "exec: `%s`", argv[0]);
  berth_fail(e, 0, "exec: `%s`: executable file not found in $PATH", argv[0]);
  e->err = ENOENT;
  return -1;
}
