/* mount(2) and umount2(2). An overlay mount of a deep image has a lowerdir list longer than the
 * page the kernel copies options into; the caller then passes relative paths and the directory
 * they are relative to, and the mount is made by a forked child that chdirs there first (the
 * cwd is per process: changing Node's own would race its other threads). */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsops.h"

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

/* Mounts from inside `cwd` in a child; returns 0 or an errno value. */
static int mount_in(const char *cwd, const char *source, const char *target, const char *fstype,
                    unsigned long flags, const char *data) {
  pid_t pid = fork();
  if (pid < 0)
    return errno;
  if (pid == 0) { /* only async-signal-safe calls from here on */
    if (chdir(cwd) < 0)
      _exit(errno);
    _exit(mount(source, target, fstype, flags, data) < 0 ? errno : 0);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return errno;
  return WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
}

/* mount(source, target, fstype, flags, data, cwd): fstype, data and cwd may be "" (none). */
napi_value fs_mount(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  int64_t flags;
  if (args_get(env, info, argv, 6) < 0)
    return NULL;
  cleanup_free char *source = arg_str(env, argv[0], "source");
  cleanup_free char *target = source ? arg_str(env, argv[1], "target") : NULL;
  cleanup_free char *fstype = target ? arg_str(env, argv[2], "fstype") : NULL;
  if (fstype == NULL || arg_int(env, argv[3], "flags", &flags) < 0)
    return NULL;
  cleanup_free char *data = arg_str(env, argv[4], "data");
  cleanup_free char *cwd = data ? arg_str(env, argv[5], "cwd") : NULL;
  if (cwd == NULL)
    return NULL;
  const char *type = *fstype ? fstype : NULL, *opts = *data ? data : NULL;
  int err = 0;
  if (*cwd)
    err = mount_in(cwd, source, target, type, (unsigned long)flags, opts);
  else if (mount(source, target, type, (unsigned long)flags, opts) < 0)
    err = errno;
  if (err)
    return throw_errno(env, err, "mount", target);
  return undefined(env);
}

/* umount2(target, flags) */
napi_value fs_umount2(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int64_t flags;
  if (args_get(env, info, argv, 2) < 0)
    return NULL;
  cleanup_free char *target = arg_str(env, argv[0], "target");
  if (target == NULL || arg_int(env, argv[1], "flags", &flags) < 0)
    return NULL;
  if (umount2(target, (int)flags) < 0)
    return throw_errno(env, errno, "umount2", target);
  return undefined(env);
}

/* isMountPoint(path): whether `path` (not followed if a symlink) is the root of a mount, from
 * statx's STATX_ATTR_MOUNT_ROOT (Linux 5.8) — one call, where scanning /proc/self/mountinfo costs
 * milliseconds on a host with a thousand mounts. */
napi_value fs_is_mount_point(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (args_get(env, info, argv, 1) < 0)
    return NULL;
  cleanup_free char *path = arg_str(env, argv[0], "path");
  if (path == NULL)
    return NULL;
  struct statx stx;
  if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, &stx) < 0)
    return throw_errno(env, errno, "statx", path);
  if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
    return throw_errno(env, ENOSYS, "statx", path);
  napi_value out;
  if (napi_get_boolean(env, (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0, &out) != 0)
    return NULL;
  return out;
}
