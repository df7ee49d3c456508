/* Files inside the rootfs: device nodes and symlinks, created through fds resolved in root. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "berth.h"

static mode_t node_type(const char *kind) {
  if (strcmp(kind, "c") == 0)
    return S_IFCHR;
  if (strcmp(kind, "b") == 0)
    return S_IFBLK;
  if (strcmp(kind, "p") == 0)
    return S_IFIFO;
  return 0;
}

STEP(op_mknod) {
  (void)c;
  const char *dest = field_str(s, "dest"), *name;
  mode_t type = node_type(field_str(s, "kind"));
  mode_t mode = (mode_t)field_num(s, "mode", 8) & 07777;
  dev_t dev = type == S_IFIFO ? 0 : makedev(field_int(s, "major"), field_int(s, "minor"));
  struct stat st;
  if (type == 0)
    return berth_fail(e, EINVAL, "mknod: kind must be c, b or p");
  cleanup_close int dir = open_parent_in_root(field_str(s, "root"), dest, &name, e);
  if (dir < 0)
    return -1;
  if (mknodat(dir, name, type | mode, dev) < 0) {
    if (errno != EEXIST)
      return berth_fail(e, errno, "mknod `%s`", dest);
    if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      return berth_fail(e, errno, "stat `%s`", dest);
    if ((st.st_mode & S_IFMT) != type || (type != S_IFIFO && st.st_rdev != dev))
      return berth_fail(e, EEXIST, "mknod `%s`: a different file is there", dest);
    return 0; /* the same node: keep it */
  }
  if (fchmodat(dir, name, mode, 0) < 0) /* mknod applied the umask */
    return berth_fail(e, errno, "chmod `%s`", dest);
  if (fchownat(dir, name, (uid_t)field_int(s, "uid"), (gid_t)field_int(s, "gid"),
               AT_SYMLINK_NOFOLLOW) < 0)
    return berth_fail(e, errno, "chown `%s`", dest);
  return 0;
}

STEP(op_symlink) {
  (void)c;
  const char *dest = field_str(s, "dest"), *target = field_str(s, "target"), *name;
  char existing[PATH_MAX];
  cleanup_close int dir = open_parent_in_root(field_str(s, "root"), dest, &name, e);
  if (dir < 0)
    return -1;
  if (symlinkat(target, dir, name) == 0)
    return 0;
  if (errno != EEXIST)
    return berth_fail(e, errno, "symlink `%s` -> `%s`", dest, target);
  ssize_t n = readlinkat(dir, name, existing, sizeof existing - 1);
  if (n < 0 || (size_t)n != strlen(target) || memcmp(existing, target, n) != 0)
    return berth_fail(e, EEXIST, "symlink `%s` -> `%s`", dest, target);
  return 0;
}
