/* Work on libuv's threadpool settled through a promise: the plumbing hash.c, inflate.c and
 * netns.c share. */
#include <stdio.h>
#include <string.h>

#include "fsops.h"

napi_value queue_job(napi_env env, const char *name, napi_async_execute_callback execute,
                     napi_async_complete_callback complete, void *data, napi_async_work *work,
                     napi_deferred *deferred) {
  char label[64];
  napi_value jsname, promise;
  snprintf(label, sizeof label, "berth:%s", name);
  napi_create_string_utf8(env, label, strlen(label), &jsname);
  if (napi_create_promise(env, deferred, &promise) != 0 ||
      napi_create_async_work(env, NULL, jsname, execute, complete, data, work) != 0 ||
      napi_queue_async_work(env, *work) != 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "fsops: %s could not queue its work", name);
    napi_throw_type_error(env, "ERR_INTERNAL", msg);
    return NULL;
  }
  return promise;
}

int arg_buffers(napi_env env, napi_value v, struct iovec *iov, uint32_t max, const char *name) {
  bool is_array = false;
  uint32_t count;
  char msg[128];
  if (napi_is_array(env, v, &is_array) != 0 || !is_array || napi_get_array_length(env, v, &count) != 0 ||
      count > max) {
    snprintf(msg, sizeof msg, "fsops: %s takes an array of at most %u Buffers", name, max);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return -1;
  }
  napi_value el;
  for (uint32_t i = 0; i < count; i++)
    if (napi_get_element(env, v, i, &el) != 0 ||
        napi_get_buffer_info(env, el, &iov[i].iov_base, &iov[i].iov_len) != 0) {
      snprintf(msg, sizeof msg, "fsops: %s: a chunk is not a Buffer", name);
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
      return -1;
    }
  return (int)count;
}

napi_value errno_error(napi_env env, int err, const char *syscall, const char *path) {
  napi_value error = NULL;
  throw_errno(env, err, syscall, path);
  napi_get_and_clear_last_exception(env, &error);
  return error;
}
