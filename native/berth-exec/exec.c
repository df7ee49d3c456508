/* exec: execve, looking arg[0] up in the plan's PATH (not berth-exec's) when it has no '/'. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

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
