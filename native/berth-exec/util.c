/* Errors, kernel-file writes and the report fd (whole writes and encoding: native/common/wire.c). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "berth.h"

/* Fills `e` with the message and, when `err` is set, ": strerror(err)"; returns -1. */
int berth_fail(struct berth_error *e, int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  if (err && n >= 0 && (size_t)n < sizeof e->msg)
    snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(err));
  e->err = err;
  e->step = 0;
  e->op[0] = '\0';
  return -1;
}

/* Opens `path` write-only and writes `value` in one write(2) (as kernel files expect). */
int write_file(const char *path, const char *value, struct berth_error *e) {
  cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail(e, errno, "open `%s`", path);
  size_t len = strlen(value);
  ssize_t n = write(fd, value, len);
  if (n < 0 || (size_t)n != len)
    return berth_fail(e, n < 0 ? errno : EIO, "write `%s` to `%s`", value, path);
  return 0;
}

/* One line to the report fd, if there is one, in one write(2) of at most PIPE_BUF bytes (so
 * lines of concurrent writers never interleave), prefixed with the request id in serve mode;
 * a line too long is cut but keeps its newline. Write errors are ignored (the reader left). */
void report_line(struct ctx *c, const char *fmt, ...) {
  if (c->report_fd < 0)
    return;
  char line[PIPE_BUF];
  int p = c->report_prefix ? snprintf(line, sizeof line, "%s ", c->report_prefix) : 0;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line + p, sizeof line - p, fmt, ap);
  va_end(ap);
  if (n <= 0)
    return;
  size_t len = (size_t)p + (size_t)n;
  if (len >= sizeof line) {
    len = sizeof line - 1;
    line[len - 1] = '\n';
  }
  (void)write_all(c->report_fd, line, len);
}
