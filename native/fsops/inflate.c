/* gunzip on libuv's threadpool, fused with the SHA-256 of the output (src/storage/inflate.ts).
 * A pull inflates every gzip layer and hashes the tar (its DiffID); node:zlib hands each output
 * chunk to JS as a fresh Buffer, ~120 MB of them for the bench image, which is most of what
 * makes V8 collect garbage during a pull. Here JS owns a few output Buffers and reuses them: one
 * job inflates the input chunks it is given into one of them (from an offset, until it is full
 * or the input runs out) and hashes what it wrote.
 *
 * Members: like node:zlib, a member that ends is followed by another when more input comes,
 * unless the next byte is 0 (trailing zero padding is ignored, with whatever follows it).
 *
 * zlib's inflate* functions come from the node binary, which links zlib and exports its symbols
 * to addons, as with OpenSSL's SHA256_* in hash.c: nothing to link. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <zlib.h>

#include "fsops.h"

enum phase { IN_MEMBER, AFTER_MEMBER, PADDING };

struct inflater {
  z_stream z;
  SHA256_CTX sha;
  enum phase phase;
  bool busy;  /* a job is in flight */
  bool ended; /* inflateEnd was called */
  bool end_requested; /* gunzipEnd came while a job was in flight */
};

static void inflater_end(struct inflater *f) {
  if (!f->ended)
    inflateEnd(&f->z);
  f->ended = true;
}

static void inflater_finalize(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  inflater_end(data);
  free(data);
}

/* gunzipInit() -> External: a new inflater (one gzip stream of one or more members). */
napi_value fs_gunzip_init(napi_env env, napi_callback_info info) {
  (void)info;
  struct inflater *f = calloc(1, sizeof *f);
  napi_value out;
  if (f == NULL)
    return throw_errno(env, ENOMEM, "gunzipInit", NULL);
  if (inflateInit2(&f->z, 16 + MAX_WBITS) != Z_OK) {
    free(f);
    napi_throw_type_error(env, "ERR_INTERNAL", "fsops: gunzipInit: inflateInit2 failed");
    return NULL;
  }
  SHA256_Init(&f->sha);
  if (napi_create_external(env, f, inflater_finalize, NULL, &out) != 0) {
    inflater_end(f);
    free(f);
    napi_throw_type_error(env, "ERR_INTERNAL", "fsops: gunzipInit could not make its state");
    return NULL;
  }
  return out;
}

static struct inflater *arg_inflater(napi_env env, napi_value v) {
  void *data = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != 0 || t != napi_external || napi_get_value_external(env, v, &data) != 0 ||
      data == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "fsops: not a gunzip state");
    return NULL;
  }
  return data;
}

/* The gunzip state `v` for `name`, which needs one that is neither running nor ended. */
static struct inflater *idle_inflater(napi_env env, napi_value v, const char *name) {
  struct inflater *f = arg_inflater(env, v);
  if (f != NULL && (f->busy || f->ended)) {
    char msg[96];
    snprintf(msg, sizeof msg, "fsops: %s: the state is busy or ended", name);
    napi_throw_type_error(env, "ERR_INVALID_STATE", msg);
    return NULL;
  }
  return f;
}

#define RUN_MAX_CHUNKS 1024

struct run {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref refs[3]; /* the state, the array of input chunks, the output buffer */
  struct inflater *f;
  size_t count;
  struct iovec in[RUN_MAX_CHUNKS];
  unsigned char *out;
  size_t out_len;
  /* results */
  size_t consumed, produced;
  int zerr;
  char msg[96];
};

/* One step: the next inflate, or what comes between members. False when nothing more can be
 * done with this input and output (or on an error, in r->zerr). */
static bool run_step(struct run *r, struct inflater *f) {
  z_stream *z = &f->z;
  if (f->phase == PADDING) {
    z->next_in += z->avail_in;
    z->avail_in = 0;
    return false;
  }
  if (f->phase == AFTER_MEMBER) {
    if (z->next_in[0] == 0) {
      f->phase = PADDING;
      return true;
    }
    inflateReset(z);
    f->phase = IN_MEMBER;
  }
  int ret = inflate(z, Z_NO_FLUSH);
  if (ret == Z_STREAM_END) {
    f->phase = AFTER_MEMBER;
    return z->avail_in > 0 && z->avail_out > 0;
  }
  if (ret == Z_OK)
    return z->avail_in > 0 && z->avail_out > 0;
  if (ret == Z_BUF_ERROR)
    return false; /* no progress possible: the input or the output ran out */
  r->zerr = ret;
  snprintf(r->msg, sizeof r->msg, "%s", z->msg ? z->msg : zError(ret));
  return false;
}

static void run_execute(napi_env env, void *p) {
  (void)env;
  struct run *r = p;
  struct inflater *f = r->f;
  z_stream *z = &f->z;
  z->next_out = r->out;
  z->avail_out = (uInt)r->out_len;
  for (size_t i = 0; i < r->count && z->avail_out > 0 && r->zerr == 0; i++) {
    z->next_in = r->in[i].iov_base;
    z->avail_in = (uInt)r->in[i].iov_len;
    while (z->avail_in > 0 && run_step(r, f))
      ;
    r->consumed += r->in[i].iov_len - z->avail_in;
    if (z->avail_in > 0)
      break; /* the output is full (or an error) */
  }
  r->produced = r->out_len - z->avail_out;
  SHA256_Update(&f->sha, r->out, r->produced);
  z->next_in = NULL;
  z->avail_in = 0;
}

static void run_complete(napi_env env, napi_status status, void *p) {
  struct run *r = p;
  napi_value result, v;
  r->f->busy = false;
  if (r->f->end_requested)
    inflater_end(r->f);
  if (status != 0 || r->zerr != 0) {
    const char *code = status != 0 ? "ERR_INTERNAL" : r->zerr == Z_DATA_ERROR ? "Z_DATA_ERROR" : r->zerr == Z_MEM_ERROR ? "Z_MEM_ERROR" : "Z_STREAM_ERROR";
    const char *text = status != 0 ? "fsops: gunzipRun did not run" : r->msg;
    napi_value msg, jscode;
    napi_create_string_utf8(env, text, strlen(text), &msg);
    napi_create_string_utf8(env, code, strlen(code), &jscode);
    napi_create_error(env, jscode, msg, &result);
    /* where it went wrong: compressed bytes consumed by this job before the failure */
    napi_create_int64(env, (int64_t)r->consumed, &v);
    napi_set_named_property(env, result, "consumed", v);
    napi_reject_deferred(env, r->deferred, result);
  } else {
    /* [input bytes consumed, output bytes written, whether the stream may end here] */
    napi_create_array(env, &result);
    napi_create_int64(env, (int64_t)r->consumed, &v);
    napi_set_element(env, result, 0, v);
    napi_create_int64(env, (int64_t)r->produced, &v);
    napi_set_element(env, result, 1, v);
    napi_get_boolean(env, r->f->phase != IN_MEMBER, &v);
    napi_set_element(env, result, 2, v);
    napi_resolve_deferred(env, r->deferred, result);
  }
  for (int i = 0; i < 3; i++)
    napi_delete_reference(env, r->refs[i]);
  napi_delete_async_work(env, r->work);
  free(r);
}

/* gunzipRun(state, chunks: Buffer[], out: Buffer) -> Promise<[consumed, produced, mayEnd]>:
 * inflates the chunks in order into `out` on the threadpool, until `out` is full or the chunks
 * are used up, and hashes what it wrote. `consumed` counts the chunks' bytes taken (the rest
 * must be passed again, first, to the next run); `mayEnd` is true when the input so far ends
 * with a whole member (the stream is complete if no more input comes). Rejects with the zlib
 * error (`code` Z_DATA_ERROR, say). Nothing handed over may change, and no other run of the
 * state start, until it settles. */
napi_value fs_gunzip_run(napi_env env, napi_callback_info info) {
  napi_value argv[3], promise;
  if (args_get(env, info, argv, 3) < 0)
    return NULL;
  struct inflater *f = idle_inflater(env, argv[0], "gunzipRun");
  if (f == NULL)
    return NULL;
  struct run *r = calloc(1, sizeof *r);
  if (r == NULL)
    return throw_errno(env, ENOMEM, "gunzipRun", NULL);
  int count = arg_buffers(env, argv[1], r->in, RUN_MAX_CHUNKS, "gunzipRun");
  if (count < 0) {
    free(r);
    return NULL;
  }
  void *out;
  bool bad = napi_get_buffer_info(env, argv[2], &out, &r->out_len) != 0 || r->out_len > UINT32_MAX;
  for (int i = 0; i < count && !bad; i++)
    bad = r->in[i].iov_len > UINT32_MAX;
  if (bad) {
    free(r);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "fsops: gunzipRun: a chunk or the output is not a Buffer");
    return NULL;
  }
  r->f = f;
  r->count = (size_t)count;
  r->out = out;
  if ((promise = queue_job(env, "gunzipRun", run_execute, run_complete, r, &r->work, &r->deferred)) == NULL) {
    free(r);
    return NULL;
  }
  for (int i = 0; i < 3; i++)
    napi_create_reference(env, argv[i], 1, &r->refs[i]);
  f->busy = true;
  return promise;
}

/* gunzipDigest(state) -> string: the SHA-256 (hex) of everything written; frees zlib's state. */
napi_value fs_gunzip_digest(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (args_get(env, info, argv, 1) < 0)
    return NULL;
  struct inflater *f = idle_inflater(env, argv[0], "gunzipDigest");
  if (f == NULL)
    return NULL;
  inflater_end(f);
  return sha256_hex(env, &f->sha);
}

/* gunzipEnd(state): frees zlib's state now (a stream given up on); later calls fail. */
napi_value fs_gunzip_end(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (args_get(env, info, argv, 1) < 0)
    return NULL;
  struct inflater *f = arg_inflater(env, argv[0]);
  if (f == NULL)
    return NULL;
  if (f->busy)
    f->end_requested = true;
  else
    inflater_end(f);
  return undefined(env);
}
