/* fsops: the file-system calls Node cannot make (mknod, xattrs, ns timestamps, mount), for
 * src/storage/native.ts. Every function is synchronous and throws a Node-style error
 * (`code`, `errno`, `syscall`, `path`) on failure. */
#ifndef FSOPS_H
#define FSOPS_H

#include <stdbool.h>
#include <stdlib.h>
#include <sys/uio.h>

#include "napi.h"

static inline void cleanup_free_fn(void *p) { free(*(void **)p); }
#define cleanup_free __attribute__((cleanup(cleanup_free_fn)))

/* Fetches exactly `n` arguments; throws a TypeError and returns -1 when fewer were passed. */
int args_get(napi_env env, napi_callback_info info, napi_value *argv, size_t n);
/* A string argument, malloc'ed (free it); NULL after throwing a TypeError. */
char *arg_str(napi_env env, napi_value v, const char *what);
/* An integer argument; -1 after throwing a TypeError. */
int arg_int(napi_env env, napi_value v, const char *what, int64_t *out);
/* Throws `CODE: strerror, syscall 'path'` with code, errno (negative), syscall and path set,
 * like Node's own fs errors. Returns NULL, for `return throw_errno(...)`. */
napi_value throw_errno(napi_env env, int err, const char *syscall, const char *path);
napi_value undefined(napi_env env);
/* The same error, returned rather than thrown: to reject a promise with. */
napi_value errno_error(napi_env env, int err, const char *syscall, const char *path);

/* Creates a promise and queues `execute` on libuv's threadpool, `complete` to settle it
 * (async.c); `name` labels the work (berth:NAME). NULL after throwing ERR_INTERNAL. */
napi_value queue_job(napi_env env, const char *name, napi_async_execute_callback execute,
                     napi_async_complete_callback complete, void *data, napi_async_work *work,
                     napi_deferred *deferred);
/* An array of at most `max` Buffers, into `iov`: their count, or -1 after throwing a TypeError. */
int arg_buffers(napi_env env, napi_value v, struct iovec *iov, uint32_t max, const char *name);
/* The SHA-256 of what `ctx` hashed, as a hex string; the state is spent (hash.c). */
struct SHA256state_st;
napi_value sha256_hex(napi_env env, struct SHA256state_st *ctx);

napi_value fs_mknod(napi_env env, napi_callback_info info);
napi_value fs_lutimens(napi_env env, napi_callback_info info);
napi_value fs_lsetxattr(napi_env env, napi_callback_info info);
napi_value fs_lgetxattr(napi_env env, napi_callback_info info);
napi_value fs_llistxattr(napi_env env, napi_callback_info info);
napi_value fs_lremovexattr(napi_env env, napi_callback_info info);
napi_value fs_mount(napi_env env, napi_callback_info info);
napi_value fs_umount2(napi_env env, napi_callback_info info);
napi_value fs_is_mount_point(napi_env env, napi_callback_info info);
napi_value fs_flock(napi_env env, napi_callback_info info);
napi_value fs_net_endpoint(napi_env env, napi_callback_info info);
napi_value fs_create_file(napi_env env, napi_callback_info info);
napi_value fs_create_files(napi_env env, napi_callback_info info);
napi_value fs_finish_file(napi_env env, napi_callback_info info);
napi_value fs_add_inode_flags(napi_env env, napi_callback_info info);
napi_value fs_sha256_init(napi_env env, napi_callback_info info);
napi_value fs_sha256_update(napi_env env, napi_callback_info info);
napi_value fs_sha256_final(napi_env env, napi_callback_info info);
napi_value fs_gunzip_init(napi_env env, napi_callback_info info);
napi_value fs_gunzip_run(napi_env env, napi_callback_info info);
napi_value fs_gunzip_digest(napi_env env, napi_callback_info info);
napi_value fs_gunzip_end(napi_env env, napi_callback_info info);
napi_value fs_warm_accept(napi_env env, napi_callback_info info);
napi_value fs_warm_pending(napi_env env, napi_callback_info info);
napi_value fs_warm_hand_off(napi_env env, napi_callback_info info);
napi_value fs_warm_stdio(napi_env env, napi_callback_info info);

#endif
