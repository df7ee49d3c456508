/* Nodes and timestamps: mknod(2) and utimensat(2) without following symlinks. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "fsops.h"

/* mknod(path, mode, major, minor): `mode` carries the type bits (S_IFCHR, S_IFBLK, S_IFIFO). */
napi_value fs_mknod(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int64_t mode, major, minor;
  if (args_get(env, info, argv, 4) < 0)
    return NULL;
  cleanup_free char *path = arg_str(env, argv[0], "path");
  if (path == NULL || arg_int(env, argv[1], "mode", &mode) < 0 ||
      arg_int(env, argv[2], "major", &major) < 0 || arg_int(env, argv[3], "minor", &minor) < 0)
    return NULL;
  if (mknod(path, (mode_t)mode, makedev((unsigned)major, (unsigned)minor)) < 0)
    return throw_errno(env, errno, "mknod", path);
  return undefined(env);
}

/* lutimens(path, atimeSec, atimeNsec, mtimeSec, mtimeNsec): nanosecond times, the link itself. */
napi_value fs_lutimens(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int64_t v[4];
  if (args_get(env, info, argv, 5) < 0)
    return NULL;
  cleanup_free char *path = arg_str(env, argv[0], "path");
  if (path == NULL)
    return NULL;
  for (int i = 0; i < 4; i++)
    if (arg_int(env, argv[i + 1], "a time", &v[i]) < 0)
      return NULL;
  struct timespec ts[2] = {{.tv_sec = v[0], .tv_nsec = v[1]}, {.tv_sec = v[2], .tv_nsec = v[3]}};
  if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return throw_errno(env, errno, "utimensat", path);
  return undefined(env);
}
