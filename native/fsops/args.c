/* Arguments in, errors out: the Node-API plumbing every function shares. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fsops.h"

int args_get(napi_env env, napi_callback_info info, napi_value *argv, size_t n) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc < n) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "fsops: too few arguments");
    return -1;
  }
  return 0;
}

char *arg_str(napi_env env, napi_value v, const char *what) {
  size_t len = 0;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != 0 || t != napi_string ||
      napi_get_value_string_utf8(env, v, NULL, 0, &len) != 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "fsops: %s must be a string", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return NULL;
  }
  char *s = malloc(len + 1);
  if (s == NULL || napi_get_value_string_utf8(env, v, s, len + 1, &len) != 0) {
    free(s);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "fsops: cannot read a string argument");
    return NULL;
  }
  if (strlen(s) != len) { /* an embedded NUL would silently cut the path */
    free(s);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "fsops: a string argument contains NUL");
    return NULL;
  }
  return s;
}

int arg_int(napi_env env, napi_value v, const char *what, int64_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != 0 || t != napi_number || napi_get_value_int64(env, v, out) != 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "fsops: %s must be a number", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return -1;
  }
  return 0;
}

static void set_str(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value v;
  if (napi_create_string_utf8(env, value, strlen(value), &v) == 0)
    napi_set_named_property(env, obj, key, v);
}

napi_value throw_errno(napi_env env, int err, const char *syscall, const char *path) {
  const char *code = strerrorname_np(err);
  char msg[4200], text[256];
  if (code == NULL)
    code = "EUNKNOWN";
  snprintf(text, sizeof text, "%s", strerror(err));
  text[0] = (char)tolower((unsigned char)text[0]); /* as Node's: "no such file or directory" */
  if (path)
    snprintf(msg, sizeof msg, "%s: %s, %s '%s'", code, text, syscall, path);
  else
    snprintf(msg, sizeof msg, "%s: %s, %s", code, text, syscall);
  napi_value jsmsg, jscode, error, jserrno;
  napi_create_string_utf8(env, msg, strlen(msg), &jsmsg);
  napi_create_string_utf8(env, code, strlen(code), &jscode);
  if (napi_create_error(env, jscode, jsmsg, &error) != 0)
    return NULL;
  napi_create_int32(env, -err, &jserrno);
  napi_set_named_property(env, error, "errno", jserrno);
  set_str(env, error, "syscall", syscall);
  if (path)
    set_str(env, error, "path", path);
  napi_throw(env, error);
  return NULL;
}

napi_value undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}
