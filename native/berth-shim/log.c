/* Docker's json-file log: one {"log","stream","time"} object per line of output, lines longer
 * than 16 KiB split, size rotation FILE -> FILE.1 -> ... FILE.(max-files - 1). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "shim.h"

int log_open(struct logfile *l, const char *path, uint64_t max_size, int max_files,
             struct shim_error *e) {
  l->path = path;
  l->max_size = max_size;
  l->max_files = max_files;
  l->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (l->fd < 0)
    return shim_fail(e, errno, "open the log `%s`", path);
  struct stat st;
  l->size = fstat(l->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
  return 0;
}

/* Writes the entries buffered since the last flush (once per read of output). */
static void log_flush(struct logfile *l) {
  if (l->len > 0)
    (void)write_all(l->fd, l->buf, l->len);
  l->len = 0;
}

/* FILE.(i-1) -> FILE.i down to FILE -> FILE.1 (the oldest is replaced); a new, empty FILE. */
static void log_rotate(struct logfile *l) {
  char from[PATH_MAX], to[PATH_MAX];
  log_flush(l);
  for (int i = l->max_files - 1; i >= 1; i--) {
    if (i == 1)
      snprintf(from, sizeof from, "%s", l->path);
    else
      snprintf(from, sizeof from, "%s.%d", l->path, i - 1);
    snprintf(to, sizeof to, "%s.%d", l->path, i);
    (void)rename(from, to);
  }
  int fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0)
    return; /* keep writing to the old one rather than lose output */
  close(l->fd);
  l->fd = fd;
  l->size = 0;
}

static void entry(struct logfile *l, int stream, const char *p, size_t n) {
  static const char *const names[] = {"\",\"stream\":\"stdout\",\"time\":\"",
                                      "\",\"stream\":\"stderr\",\"time\":\""};
  char time[32];
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  format_time(&now, time);
  /* as dockerd's json-file: a file that has reached max-size is rotated before the next entry
   * (so a file ends at most one entry past it) */
  if (l->max_size > 0 && l->size >= l->max_size)
    log_rotate(l);
  struct sink w = {.buf = l->buf, .cap = sizeof l->buf, .len = l->len, .fd = l->fd};
  sink_put(&w, "{\"log\":\"", 8);
  json_escape(&w, p, n);
  sink_put(&w, names[stream], strlen(names[stream]));
  sink_put(&w, time, strlen(time));
  sink_put(&w, "\"}\n", 3);
  l->len = w.len;
  l->size += w.total;
}

void log_output(struct shim *s, int stream, const char *p, size_t n) {
  if (s->log.fd < 0)
    return;
  struct linebuf *lb = &s->lines[stream];
  while (n > 0) {
    size_t room = CHUNK - lb->len, take = n < room ? n : room;
    const char *nl = memchr(p, '\n', take);
    if (nl)
      take = (size_t)(nl - p) + 1;
    if (lb->len == 0 && (nl || take == CHUNK)) {
      entry(&s->log, stream, p, take); /* a whole entry: no copy */
    } else {
      memcpy(lb->data + lb->len, p, take);
      lb->len += take;
      if (nl || lb->len == CHUNK) {
        entry(&s->log, stream, lb->data, lb->len);
        lb->len = 0;
      }
    }
    p += take;
    n -= take;
  }
  log_flush(&s->log);
}

void log_end(struct shim *s, int stream) {
  struct linebuf *lb = &s->lines[stream];
  if (s->log.fd >= 0 && lb->len > 0) {
    entry(&s->log, stream, lb->data, lb->len);
    log_flush(&s->log);
  }
  lb->len = 0;
}
