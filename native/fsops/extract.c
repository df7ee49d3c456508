/* Layer extraction in fewer calls (src/storage/apply.ts): a whole small file in one call, the
 * owner, mode and times of an open file in one, and inode flags (chattr) for the snapshotter. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsops.h"

/* fchown, then fchmod (chown clears set-id bits), then futimens: what a file gets last. */
static const char *finish_fd(int fd, int64_t mode, int64_t uid, int64_t gid, int64_t sec, int64_t nsec) {
  if (fchown(fd, (uid_t)uid, (gid_t)gid) < 0)
    return "fchown";
  if (fchmod(fd, (mode_t)(mode & 07777)) < 0)
    return "fchmod";
  struct timespec ts[2] = {{.tv_sec = sec, .tv_nsec = nsec}, {.tv_sec = sec, .tv_nsec = nsec}};
  if (futimens(fd, ts) < 0)
    return "futimens";
  return NULL;
}

static int get_ints(napi_env env, napi_value *argv, int64_t *v, int n) {
  static const char *what[] = {"mode", "uid", "gid", "mtime", "mtime ns"};
  for (int i = 0; i < n; i++)
    if (arg_int(env, argv[i], what[i], &v[i]) < 0)
      return -1;
  return 0;
}

/* createFile(path, mode, uid, gid, mtimeSec, mtimeNsec, data: Buffer): creates a new regular
 * file (O_EXCL, never through a final symlink), writes `data`, sets owner, mode and times. */
napi_value fs_create_file(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  int64_t v[5];
  void *data;
  size_t len;
  if (args_get(env, info, argv, 7) < 0)
    return NULL;
  cleanup_free char *path = arg_str(env, argv[0], "path");
  if (path == NULL || get_ints(env, argv + 1, v, 5) < 0)
    return NULL;
  if (napi_get_buffer_info(env, argv[6], &data, &len) != 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "fsops: data must be a Buffer");
    return NULL;
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return throw_errno(env, errno, "open", path);
  const char *failed = NULL;
  for (size_t off = 0; off < len && failed == NULL;) {
    ssize_t n = write(fd, (const char *)data + off, len - off);
    if (n < 0 && errno != EINTR)
      failed = "write";
    else if (n > 0)
      off += (size_t)n;
  }
  if (failed == NULL)
    failed = finish_fd(fd, v[0], v[1], v[2], v[3], v[4]);
  int err = errno;
  close(fd);
  return failed ? throw_errno(env, err, failed, path) : undefined(env);
}

/* finishFile(fd, mode, uid, gid, mtimeSec, mtimeNsec): owner, mode and times of an open file. */
napi_value fs_finish_file(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  int64_t fd, v[5];
  if (args_get(env, info, argv, 6) < 0 || arg_int(env, argv[0], "fd", &fd) < 0 ||
      get_ints(env, argv + 1, v, 5) < 0)
    return NULL;
  const char *failed = finish_fd((int)fd, v[0], v[1], v[2], v[3], v[4]);
  return failed ? throw_errno(env, errno, failed, "") : undefined(env);
}

/* addInodeFlags(path, flags): ORs FS_*_FL flags into a file's inode flags, as chattr + does
 * (FS_IOC_GETFLAGS, FS_IOC_SETFLAGS; the kernel reads an int). */
napi_value fs_add_inode_flags(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int64_t flags;
  if (args_get(env, info, argv, 2) < 0)
    return NULL;
  cleanup_free char *path = arg_str(env, argv[0], "path");
  if (path == NULL || arg_int(env, argv[1], "flags", &flags) < 0)
    return NULL;
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return throw_errno(env, errno, "open", path);
  int cur = 0, err = 0;
  if (ioctl(fd, FS_IOC_GETFLAGS, &cur) < 0)
    err = errno;
  else if ((cur | (int)flags) != cur) {
    int want = cur | (int)flags;
    if (ioctl(fd, FS_IOC_SETFLAGS, &want) < 0)
      err = errno;
  }
  close(fd);
  return err ? throw_errno(env, err, "ioctl", path) : undefined(env);
}
