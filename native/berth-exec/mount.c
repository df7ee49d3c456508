/* Mount steps: mount, remount, propagate, mask, readonly, remount-root-ro, pivot-root. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

#include "berth.h"

struct named_flag {
  const char *name;
  unsigned long flag;
};

static const struct named_flag mount_flags[] = {
    {"ro", MS_RDONLY},         {"nosuid", MS_NOSUID},       {"nodev", MS_NODEV},
    {"noexec", MS_NOEXEC},     {"sync", MS_SYNCHRONOUS},    {"dirsync", MS_DIRSYNC},
    {"mand", MS_MANDLOCK},     {"noatime", MS_NOATIME},     {"nodiratime", MS_NODIRATIME},
    {"relatime", MS_RELATIME}, {"strictatime", MS_STRICTATIME}, {"lazytime", MS_LAZYTIME},
    {"silent", MS_SILENT},     {"bind", MS_BIND},           {"rec", MS_REC},
};

static const struct named_flag propagations[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

#define ATIME_FLAGS (MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)

static int parse_flags(const char *list, unsigned long *out, struct berth_error *e) {
  *out = 0;
  for (const char *p = list; *p;) {
    size_t len = strcspn(p, ","), i;
    for (i = 0; i < sizeof mount_flags / sizeof mount_flags[0]; i++)
      if (strlen(mount_flags[i].name) == len && strncmp(mount_flags[i].name, p, len) == 0)
        break;
    if (i == sizeof mount_flags / sizeof mount_flags[0])
      return berth_fail(e, EINVAL, "unknown mount flag `%.*s`", (int)len, p);
    *out |= mount_flags[i].flag;
    p += len + (p[len] == ',');
  }
  return 0;
}

/* Flags locked on an existing mount (a remount inside a user namespace must keep them). */
static unsigned long locked_flags(unsigned long f_flags, unsigned long wanted) {
  unsigned long out = 0;
  out |= f_flags & ST_NOSUID ? MS_NOSUID : 0;
  out |= f_flags & ST_NODEV ? MS_NODEV : 0;
  out |= f_flags & ST_NOEXEC ? MS_NOEXEC : 0;
  if (!(wanted & ATIME_FLAGS)) {
    out |= f_flags & ST_NOATIME ? MS_NOATIME : 0;
    out |= f_flags & ST_NODIRATIME ? MS_NODIRATIME : 0;
    out |= f_flags & ST_RELATIME ? MS_RELATIME : 0;
  }
  return out;
}

/* The mount target for an fd from open_in_root (a plain path when `root` is empty). */
static const char *target_of(const char *root, const char *dest, int fd, char buf[32]) {
  if (*root == '\0')
    return dest;
  snprintf(buf, 32, "/proc/self/fd/%d", fd);
  return buf;
}

static const char *or_null(const char *s) { return *s ? s : NULL; }

STEP(op_mount) {
  (void)c;
  const char *root = field_str(s, "root"), *dest = field_str(s, "dest");
  const char *source = field_str(s, "source"), *mk = field_str(s, "mkdir");
  unsigned long flags;
  char buf[32];
  if (parse_flags(field_str(s, "flags"), &flags, e) < 0)
    return -1;
  enum mkdir_mode mode = strcmp(mk, "dir") == 0 ? MK_DIR : strcmp(mk, "file") == 0 ? MK_FILE : MK_NONE;
  if (mode == MK_NONE && strcmp(mk, "none") != 0)
    return berth_fail(e, EINVAL, "mount: mkdir must be dir, file or none, not `%s`", mk);
  cleanup_close int fd = open_in_root(root, dest, mode, e);
  if (fd < 0)
    return -1;
  if (mount(or_null(source), target_of(root, dest, fd, buf), or_null(field_str(s, "type")), flags,
            or_null(field_str(s, "data"))) < 0)
    return berth_fail(e, errno, "mount `%s` on `%s`", source, dest);
  return 0;
}

STEP(op_remount) {
  (void)c;
  const char *root = field_str(s, "root"), *dest = field_str(s, "dest");
  unsigned long flags;
  struct statfs st;
  char buf[32];
  if (parse_flags(field_str(s, "flags"), &flags, e) < 0)
    return -1;
  cleanup_close int fd = open_in_root(root, dest, MK_NONE, e);
  if (fd < 0)
    return -1;
  if (fstatfs(fd, &st) < 0)
    return berth_fail(e, errno, "statfs `%s`", dest);
  flags |= MS_REMOUNT | locked_flags(st.f_flags, flags);
  if (mount("", target_of(root, dest, fd, buf), "", flags, NULL) < 0)
    return berth_fail(e, errno, "remount `%s`", dest);
  return 0;
}

STEP(op_propagate) {
  (void)c;
  const char *path = field_str(s, "path"), *mode = field_str(s, "mode");
  for (size_t i = 0; i < sizeof propagations / sizeof propagations[0]; i++) {
    if (strcmp(propagations[i].name, mode) != 0)
      continue;
    if (mount(NULL, path, NULL, propagations[i].flag, NULL) < 0)
      return berth_fail(e, errno, "make `%s` %s", path, mode);
    return 0;
  }
  return berth_fail(e, EINVAL, "propagate: unknown mode `%s`", mode);
}

/* Bind-remounts `path` read-only, keeping its locked flags. */
static int remount_ro(const char *path, struct berth_error *e) {
  struct statfs st;
  if (statfs(path, &st) < 0)
    return berth_fail(e, errno, "statfs `%s`", path);
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(st.f_flags, 0);
  if (mount(NULL, path, NULL, flags, NULL) < 0)
    return berth_fail(e, errno, "remount `%s` read-only", path);
  return 0;
}

STEP(op_mask) {
  (void)c;
  const char *path = field_str(s, "path");
  struct stat st;
  if (stat(path, &st) < 0)
    return errno == ENOENT ? 0 : berth_fail(e, errno, "stat `%s`", path);
  if (S_ISDIR(st.st_mode)) {
    if (mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL) < 0)
      return berth_fail(e, errno, "mount `tmpfs` on `%s`", path);
  } else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) {
    return berth_fail(e, errno, "mount `/dev/null` on `%s`", path);
  }
  return 0;
}

STEP(op_readonly) {
  (void)c;
  const char *path = field_str(s, "path");
  struct stat st;
  if (stat(path, &st) < 0)
    return errno == ENOENT ? 0 : berth_fail(e, errno, "stat `%s`", path);
  if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
    return berth_fail(e, errno, "bind `%s` on itself", path);
  return remount_ro(path, e);
}

STEP(op_remount_root_ro) {
  (void)c;
  (void)s;
  return remount_ro("/", e);
}

/* runc's technique: pivot_root(".", ".") stacks the old root on the new one; detach it. */
static int pivot(const char *path, struct berth_error *e) {
  cleanup_close int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  cleanup_close int newroot = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0 || newroot < 0)
    return berth_fail(e, errno, "open `%s`", oldroot < 0 ? "/" : path);
  if (fchdir(newroot) < 0)
    return berth_fail(e, errno, "chdir `%s`", path);
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return berth_fail(e, errno, "pivot_root `%s`", path);
  if (fchdir(oldroot) < 0)
    return berth_fail(e, errno, "chdir to the old root");
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return berth_fail(e, errno, "make the old root rslave");
  if (umount2(".", MNT_DETACH) < 0)
    return berth_fail(e, errno, "unmount the old root");
  return 0;
}

static int move_root(const char *path, struct berth_error *e) {
  if (chdir(path) < 0)
    return berth_fail(e, errno, "chdir `%s`", path);
  if (mount(path, "/", NULL, MS_MOVE, NULL) < 0)
    return berth_fail(e, errno, "move `%s` to `/`", path);
  if (chroot(".") < 0)
    return berth_fail(e, errno, "chroot `%s`", path);
  return 0;
}

STEP(op_pivot_root) {
  (void)c;
  const char *path = field_str(s, "path"), *mode = field_str(s, "mode");
  int r;
  if (strcmp(mode, "pivot") == 0)
    r = pivot(path, e);
  else if (strcmp(mode, "move") == 0)
    r = move_root(path, e);
  else
    return berth_fail(e, EINVAL, "pivot-root: mode must be pivot or move, not `%s`", mode);
  if (r == 0 && chdir("/") < 0)
    return berth_fail(e, errno, "chdir `/`");
  return r;
}

/* Sets ro/nosuid/nodev/noexec on the mount at `dest` and, with `rec`, on every mount below it,
 * in one mount_setattr(2); flags already set or locked are kept. */
STEP(op_setattr) {
  (void)c;
  const char *root = field_str(s, "root"), *dest = field_str(s, "dest");
  unsigned long flags = 0;
  if (parse_flags(field_str(s, "flags"), &flags, e) < 0)
    return -1;
  struct mount_attr attr = {0};
  attr.attr_set |= flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0;
  attr.attr_set |= flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0;
  attr.attr_set |= flags & MS_NODEV ? MOUNT_ATTR_NODEV : 0;
  attr.attr_set |= flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0;
  cleanup_close int fd = open_in_root(root, dest, MK_NONE, e);
  if (fd < 0)
    return -1;
  unsigned int at = AT_EMPTY_PATH | (flags & MS_REC ? AT_RECURSIVE : 0);
  if (mount_setattr(fd, "", at, &attr, sizeof attr) < 0)
    return berth_fail(e, errno, "set attributes of `%s`", dest);
  return 0;
}
