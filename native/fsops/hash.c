/* SHA-256 on libuv's threadpool (src/storage/hash.ts): a pull hashes every byte of a layer twice
 * (the blob digest of the compressed bytes, the DiffID of the tar), which on the JS thread costs
 * as much as the rest of the per-byte work. The state is a Buffer that JS holds (one update in
 * flight at a time, which hash.ts sees to); an update can also write the same bytes to a file
 * (a download's spool) in the same job, and start their writeback (the spool is fsynced when
 * it becomes the blob).
 *
 * OpenSSL's SHA256_* functions (SHA-NI where the CPU has it) come from the node binary, which
 * links OpenSSL and exports its symbols to addons, like the Node-API ones: nothing to link. */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_* are deprecated for EVP, but a fixed state suits here */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fsops.h"

/* sha256Init() -> Buffer: a new state. */
napi_value fs_sha256_init(napi_env env, napi_callback_info info) {
  (void)info;
  SHA256_CTX ctx;
  napi_value out;
  void *data;
  SHA256_Init(&ctx);
  if (napi_create_buffer_copy(env, sizeof ctx, &ctx, &data, &out) != 0) {
    napi_throw_type_error(env, "ERR_INTERNAL", "fsops: sha256Init could not make its state");
    return NULL;
  }
  return out;
}

static SHA256_CTX *arg_ctx(napi_env env, napi_value v) {
  void *data;
  size_t len;
  if (napi_get_buffer_info(env, v, &data, &len) != 0 || len != sizeof(SHA256_CTX)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "fsops: not a sha256 state");
    return NULL;
  }
  return data;
}

#define UPDATE_MAX_CHUNKS 1024

struct update {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref refs[2]; /* the state and the array of chunks */
  SHA256_CTX *ctx;
  int fd;
  size_t count;
  struct iovec iov[UPDATE_MAX_CHUNKS];
  int err;
};

static void update_execute(napi_env env, void *p) {
  (void)env;
  struct update *u = p;
  for (size_t i = 0; i < u->count; i++)
    SHA256_Update(u->ctx, u->iov[i].iov_base, u->iov[i].iov_len);
  if (u->fd < 0)
    return;
  off_t start = lseek(u->fd, 0, SEEK_CUR);
  struct iovec *iov = u->iov;
  int n = (int)u->count;
  while (n > 0) {
    ssize_t w = writev(u->fd, iov, n > IOV_MAX ? IOV_MAX : n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      u->err = errno;
      return;
    }
    while (n > 0 && (size_t)w >= iov->iov_len) {
      w -= (ssize_t)iov->iov_len;
      iov++;
      n--;
    }
    if (n > 0) {
      iov->iov_base = (char *)iov->iov_base + w;
      iov->iov_len -= (size_t)w;
    }
  }
  /* Start writing these bytes to the disk now: the file is fsynced once complete (a blob's
   * commit), which then has only the last ones left to wait for, not the whole file. */
  off_t end = lseek(u->fd, 0, SEEK_CUR);
  if (start >= 0 && end > start)
    sync_file_range(u->fd, start, end - start, SYNC_FILE_RANGE_WRITE);
}

static void update_complete(napi_env env, napi_status status, void *p) {
  struct update *u = p;
  napi_value result, msg, code;
  if (status != 0) {
    const char *text = "fsops: sha256Update did not run";
    napi_create_string_utf8(env, text, strlen(text), &msg);
    napi_create_string_utf8(env, "ERR_INTERNAL", 12, &code);
    napi_create_error(env, code, msg, &result);
    napi_reject_deferred(env, u->deferred, result);
  } else if (u->err != 0) {
    napi_reject_deferred(env, u->deferred, errno_error(env, u->err, "write", NULL));
  } else {
    napi_resolve_deferred(env, u->deferred, undefined(env));
  }
  for (int i = 0; i < 2; i++)
    napi_delete_reference(env, u->refs[i]);
  napi_delete_async_work(env, u->work);
  free(u);
}

/* sha256Update(state, chunks: Buffer[], fd) -> Promise: hashes the chunks in order on the
 * threadpool and, when fd >= 0, writes them to fd (all of them: short writes are continued).
 * Neither the state nor the chunks may change until the promise settles, and only one update
 * of a state may be in flight. */
napi_value fs_sha256_update(napi_env env, napi_callback_info info) {
  napi_value argv[3], promise;
  int64_t fd;
  if (args_get(env, info, argv, 3) < 0)
    return NULL;
  SHA256_CTX *ctx = arg_ctx(env, argv[0]);
  if (ctx == NULL || arg_int(env, argv[2], "fd", &fd) < 0)
    return NULL;
  struct update *u = calloc(1, sizeof *u);
  if (u == NULL)
    return throw_errno(env, ENOMEM, "sha256Update", NULL);
  int count = arg_buffers(env, argv[1], u->iov, UPDATE_MAX_CHUNKS, "sha256Update");
  if (count < 0) {
    free(u);
    return NULL;
  }
  u->ctx = ctx;
  u->fd = fd < 0 || fd > INT_MAX ? -1 : (int)fd;
  u->count = (size_t)count;
  if ((promise = queue_job(env, "sha256Update", update_execute, update_complete, u, &u->work, &u->deferred)) == NULL) {
    free(u);
    return NULL;
  }
  for (int i = 0; i < 2; i++)
    napi_create_reference(env, argv[i], 1, &u->refs[i]);
  return promise;
}

/* The digest as a hex string (sha256Final, gunzipDigest); the state is spent. */
napi_value sha256_hex(napi_env env, SHA256_CTX *ctx) {
  napi_value out;
  unsigned char md[SHA256_DIGEST_LENGTH];
  char hex[2 * SHA256_DIGEST_LENGTH + 1];
  SHA256_Final(md, ctx);
  for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
  napi_create_string_utf8(env, hex, 2 * SHA256_DIGEST_LENGTH, &out);
  return out;
}

/* sha256Final(state) -> string: the digest in hex; the state is spent. */
napi_value fs_sha256_final(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (args_get(env, info, argv, 1) < 0)
    return NULL;
  SHA256_CTX *ctx = arg_ctx(env, argv[0]);
  return ctx == NULL ? NULL : sha256_hex(env, ctx);
}
