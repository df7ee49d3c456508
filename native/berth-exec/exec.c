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

/* Calls `attempt` on each PATH entry joined with `name`, like execvp, until it returns 0 (found)
 * or an errno other than "not here"; then fails as execvp would. */
static int search_path(const char *name, char **envp, int (*attempt)(const char *, void *), void *arg,
                       struct berth_error *e) {
  int denied = 0;
  char candidate[PATH_MAX];
  for (const char *p = plan_path(envp);; p++) {
    size_t len = strcspn(p, ":");
    int n = snprintf(candidate, sizeof candidate, "%.*s/%s", (int)len, len ? p : ".", name);
    if (n > 0 && (size_t)n < sizeof candidate) {
      int err = attempt(candidate, arg);
      if (err == 0)
        return 0;
      if (err == EACCES)
        denied = 1;
      else if (err != ENOENT && err != ENOTDIR && err != ELOOP && err != ENAMETOOLONG)
        return berth_fail(e, err, "exec `%s`", candidate);
    }
    p += len;
    if (*p == '\0')
      break;
  }
  if (denied)
    return berth_fail(e, EACCES, "exec: `%s`", name);
  berth_fail(e, 0, "exec: `%s`: executable file not found in $PATH", name);
  e->err = ENOENT;
  return -1;
}

struct exec_args {
  char **argv, **envp;
};

/* execve returns only on failure. */
static int try_execve(const char *path, void *arg) {
  struct exec_args *a = arg;
  execve(path, a->argv, a->envp);
  return errno;
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
    return search_path(argv[0], envp, try_execve, &(struct exec_args){argv, envp}, e);
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

static int runnable_at(const char *path, void *arg) {
  (void)arg;
  return runnable(path);
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
  return search_path(argv[0], envp, runnable_at, NULL, e);
}
