/* flock(2): the daemon's lock on its data root (held for as long as the fd is open). */
#include <errno.h>
#include <sys/file.h>

#include "fsops.h"

/* flock(fd, operation): operation is LOCK_SH, LOCK_EX or LOCK_UN, optionally | LOCK_NB. */
napi_value fs_flock(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int64_t fd, op;
  if (args_get(env, info, argv, 2) < 0 || arg_int(env, argv[0], "fd", &fd) < 0 ||
      arg_int(env, argv[1], "operation", &op) < 0)
    return NULL;
  int r;
  while ((r = flock((int)fd, (int)op)) < 0 && errno == EINTR)
    ;
  return r < 0 ? throw_errno(env, errno, "flock", "") : undefined(env);
}
