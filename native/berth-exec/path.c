/* Safe paths: `dest` is resolved inside `root` with openat2(RESOLVE_IN_ROOT), so symlinks in
 * the image stay inside it; missing components are created one at a time with *at calls on
 * fds resolved the same way. The result is an O_PATH fd (mount on /proc/self/fd/N). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "berth.h"

static int resolve(int rootfd, const char *path) {
  struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  int fd;
  for (int tries = 0; tries < 8; tries++) {
    fd = (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN)
      break;
  }
  return fd;
}

/* Creates `name` in the directory `dirfd`: a directory, or an empty file. */
static int make_one(int dirfd, const char *name, bool file) {
  if (file) {
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd >= 0)
      close(fd);
    return fd < 0 && errno != EEXIST ? -1 : 0;
  }
  return mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static int create_in_root(int rootfd, const char *root, const char *dest, enum mkdir_mode mk,
                          struct berth_error *e) {
  char buf[PATH_MAX];
  if (snprintf(buf, sizeof buf, "%s", dest) >= (int)sizeof buf)
    return berth_fail(e, ENAMETOOLONG, "resolve `%s`", dest);
  cleanup_close int cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
  if (cur < 0)
    return berth_fail(e, errno, "dup");
  for (char *p = buf + strspn(buf, "/"); *p; p += strspn(p, "/")) {
    char *end = p + strcspn(p, "/");
    bool last = end[strspn(end, "/")] == '\0';
    char saved = *end;
    *end = '\0';
    int fd = resolve(rootfd, buf);
    if (fd < 0 && errno == ENOENT) {
      if (make_one(cur, p, last && mk == MK_FILE) < 0)
        return berth_fail(e, errno, "create `%s` in `%s`", buf, root);
      fd = resolve(rootfd, buf);
    }
    if (fd < 0)
      return berth_fail(e, errno, "resolve `%s` in `%s`", buf, root);
    *end = saved;
    close(cur);
    cur = fd;
    p = end;
  }
  return take_fd(&cur);
}

/* An O_PATH fd for `dest` inside `root` ("" means the current root, "/"). */
int open_in_root(const char *root, const char *dest, enum mkdir_mode mk, struct berth_error *e) {
  if (*root == '\0')
    root = "/";
  cleanup_close int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return berth_fail(e, errno, "open root `%s`", root);
  int fd = resolve(rootfd, dest);
  if (fd >= 0)
    return fd;
  if (errno != ENOENT || mk == MK_NONE)
    return berth_fail(e, errno, "resolve `%s` in `%s`", dest, root);
  return create_in_root(rootfd, root, dest, mk, e);
}

/* The directory holding `dest` (created if missing) and, in *name, its last component. */
int open_parent_in_root(const char *root, const char *dest, const char **name,
                        struct berth_error *e) {
  char dir[PATH_MAX];
  size_t len = strlen(dest);
  const char *slash = strrchr(dest, '/');
  const char *base = slash ? slash + 1 : dest;
  if (len >= sizeof dir || *base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
    return berth_fail(e, EINVAL, "`%s` does not name a file", dest);
  snprintf(dir, sizeof dir, "%.*s", (int)(base - dest), dest);
  *name = base;
  return open_in_root(root, dir, MK_DIR, e);
}
