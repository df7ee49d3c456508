/* Layer extraction in fewer calls (src/storage/apply.ts): a whole small file in one call, the
 * owner, mode and times of an open file in one, a batch of small files on the threadpool, and
 * inode flags (chattr) for the snapshotter. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
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

/* A new file (O_EXCL, never through a final symlink) with `data`, owner, mode and times; the
 * failing call's name (errno set) or NULL. v: mode, uid, gid, mtime, mtime ns. */
static const char *write_new_file(const char *path, const int64_t *v, const void *data, size_t len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return "open";
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
  errno = err;
  return failed;
}

/* createFile(path, mode, uid, gid, mtimeSec, mtimeNsec, data: Buffer): write_new_file. */
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
  const char *failed = write_new_file(path, v, data, len);
  return failed ? throw_errno(env, errno, failed, path) : undefined(env);
}

/* A batch of new files for createFiles, made on libuv's threadpool. */
struct batch {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref refs[3];
  const char *paths; /* `count` NUL-terminated paths, one after another */
  const double *meta; /* per file: mode, uid, gid, mtime, mtime ns, data length */
  const char *data;   /* the files' data, one after another */
  size_t count;
  size_t failed; /* index of the file that failed; count when none did */
  int err;
  const char *syscall;
  const char *path;
};

static void create_files_execute(napi_env env, void *p) {
  (void)env;
  struct batch *b = p;
  const char *path = b->paths, *data = b->data;
  b->failed = b->count;
  for (size_t i = 0; i < b->count; i++) {
    const double *m = b->meta + 6 * i;
    int64_t v[5] = {(int64_t)m[0], (int64_t)m[1], (int64_t)m[2], (int64_t)m[3], (int64_t)m[4]};
    size_t len = (size_t)m[5];
    const char *failed = write_new_file(path, v, data, len);
    if (failed) {
      b->failed = i;
      b->err = errno;
      b->syscall = failed;
      b->path = path;
      return;
    }
    path += strlen(path) + 1;
    data += len;
  }
}

/* An Error as throw_errno makes it (code, errno, syscall, path), plus `index`, not thrown. */
static napi_value batch_error(napi_env env, struct batch *b) {
  napi_value error = errno_error(env, b->err, b->syscall, b->path), index;
  napi_create_int32(env, (int32_t)b->failed, &index);
  napi_set_named_property(env, error, "index", index);
  return error;
}

static void create_files_complete(napi_env env, napi_status status, void *p) {
  struct batch *b = p;
  napi_value result;
  if (status != 0) {
    napi_value msg;
    const char *text = "fsops: createFiles did not run";
    napi_create_string_utf8(env, text, strlen(text), &msg);
    napi_create_error(env, NULL, msg, &result);
    napi_reject_deferred(env, b->deferred, result);
  } else if (b->failed < b->count) {
    napi_reject_deferred(env, b->deferred, batch_error(env, b));
  } else {
    napi_get_undefined(env, &result);
    napi_resolve_deferred(env, b->deferred, result);
  }
  for (int i = 0; i < 3; i++)
    napi_delete_reference(env, b->refs[i]);
  napi_delete_async_work(env, b->work);
  free(b);
}

/* createFiles(paths: Buffer, meta: Buffer, data: Buffer) -> Promise: write_new_file for each
 * file of a batch, in order, on the threadpool; stops at the first failure and rejects with its
 * error and `index` (the files before it are made). paths: NUL-terminated; meta: six float64s a
 * file (mode, uid, gid, mtime, mtime ns, data length); data: the files' bytes in order. The
 * buffers must not change until the promise settles. */
napi_value fs_create_files(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  void *buf[3];
  size_t len[3];
  if (args_get(env, info, argv, 3) < 0)
    return NULL;
  for (int i = 0; i < 3; i++)
    if (napi_get_buffer_info(env, argv[i], &buf[i], &len[i]) != 0) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "fsops: createFiles takes three Buffers");
      return NULL;
    }
  size_t count = len[1] / (6 * sizeof(double)), names = 0, bytes = 0;
  for (size_t off = 0; off < len[0]; off++)
    if (((const char *)buf[0])[off] == '\0')
      names++;
  for (size_t i = 0; i < count; i++) {
    double n = ((const double *)buf[1])[6 * i + 5];
    if (!(n >= 0 && n <= (double)len[2]))
      names = (size_t)-1;
    else
      bytes += (size_t)n;
  }
  if (len[1] % (6 * sizeof(double)) != 0 || names != count || bytes > len[2] ||
      (len[0] > 0 && ((const char *)buf[0])[len[0] - 1] != '\0')) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "fsops: createFiles: paths, meta and data disagree");
    return NULL;
  }
  struct batch *b = calloc(1, sizeof *b);
  if (b == NULL)
    return throw_errno(env, ENOMEM, "createFiles", NULL);
  b->paths = buf[0];
  b->meta = buf[1];
  b->data = buf[2];
  b->count = count;
  napi_value promise =
      queue_job(env, "createFiles", create_files_execute, create_files_complete, b, &b->work, &b->deferred);
  if (promise == NULL) {
    free(b);
    return NULL;
  }
  for (int i = 0; i < 3; i++)
    napi_create_reference(env, argv[i], 1, &b->refs[i]);
  return promise;
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
