/* Extended attributes of a path, never following a final symlink. */
#include <errno.h>
#include <string.h>
#include <sys/xattr.h>

#include "fsops.h"

/* lsetxattr(path, name, value: Buffer) */
napi_value fs_lsetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  void *data;
  size_t len;
  if (args_get(env, info, argv, 3) < 0)
    return NULL;
  cleanup_free char *path = arg_str(env, argv[0], "path");
  cleanup_free char *name = path ? arg_str(env, argv[1], "name") : NULL;
  if (name == NULL)
    return NULL;
  if (napi_get_buffer_info(env, argv[2], &data, &len) != 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "fsops: value must be a Buffer");
    return NULL;
  }
  if (lsetxattr(path, name, data, len, 0) < 0)
    return throw_errno(env, errno, "lsetxattr", path);
  return undefined(env);
}

/* lgetxattr(path, name) -> Buffer, or null when the attribute is absent (ENODATA). */
napi_value fs_lgetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  if (args_get(env, info, argv, 2) < 0)
    return NULL;
  cleanup_free char *path = arg_str(env, argv[0], "path");
  cleanup_free char *name = path ? arg_str(env, argv[1], "name") : NULL;
  if (name == NULL)
    return NULL;
  for (;;) {
    ssize_t len = lgetxattr(path, name, NULL, 0);
    if (len < 0 && errno == ENODATA) {
      napi_get_null(env, &result);
      return result;
    }
    if (len < 0)
      return throw_errno(env, errno, "lgetxattr", path);
    cleanup_free char *buf = malloc(len ? (size_t)len : 1);
    if (buf == NULL)
      return throw_errno(env, ENOMEM, "lgetxattr", path);
    ssize_t got = lgetxattr(path, name, buf, (size_t)len);
    if (got < 0 && errno == ERANGE)
      continue; /* it grew in between */
    if (got < 0)
      return throw_errno(env, errno, "lgetxattr", path);
    napi_create_buffer_copy(env, (size_t)got, buf, NULL, &result);
    return result;
  }
}

/* llistxattr(path) -> string[] */
napi_value fs_llistxattr(napi_env env, napi_callback_info info) {
  napi_value argv[1], result, item;
  if (args_get(env, info, argv, 1) < 0)
    return NULL;
  cleanup_free char *path = arg_str(env, argv[0], "path");
  if (path == NULL)
    return NULL;
  for (;;) {
    ssize_t len = llistxattr(path, NULL, 0);
    if (len < 0)
      return throw_errno(env, errno, "llistxattr", path);
    cleanup_free char *buf = malloc(len ? (size_t)len : 1);
    if (buf == NULL)
      return throw_errno(env, ENOMEM, "llistxattr", path);
    ssize_t got = llistxattr(path, buf, (size_t)len);
    if (got < 0 && errno == ERANGE)
      continue;
    if (got < 0)
      return throw_errno(env, errno, "llistxattr", path);
    napi_create_array(env, &result);
    uint32_t i = 0;
    for (char *p = buf; p < buf + got; p += strlen(p) + 1) {
      napi_create_string_utf8(env, p, strlen(p), &item);
      napi_set_element(env, result, i++, item);
    }
    return result;
  }
}

/* lremovexattr(path, name) */
napi_value fs_lremovexattr(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (args_get(env, info, argv, 2) < 0)
    return NULL;
  cleanup_free char *path = arg_str(env, argv[0], "path");
  cleanup_free char *name = path ? arg_str(env, argv[1], "name") : NULL;
  if (name == NULL)
    return NULL;
  if (lremovexattr(path, name) < 0)
    return throw_errno(env, errno, "lremovexattr", path);
  return undefined(env);
}
