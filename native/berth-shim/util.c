/* Errors, percent-decoding (the report line's), clocks and RFC 3339 times (whole writes and
 * encoding: native/common/wire.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "shim.h"

int shim_fail(struct shim_error *e, int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  if (err && n >= 0 && (size_t)n < sizeof e->msg)
    snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(err));
  e->err = err;
  return -1;
}

void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* A malformed escape is copied as it is. */
void percent_decode(const char *in, char *out, size_t outlen) {
  size_t o = 0;
  for (const char *p = in; *p && o + 1 < outlen; p++) {
    int hi, lo;
    if (p[0] == '%' && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0) {
      out[o++] = (char)(hi << 4 | lo);
      p += 2;
    } else {
      out[o++] = *p;
    }
  }
  out[o] = '\0';
}

int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm): no time zone files. */
void format_time(const struct timespec *ts, char *out) {
  int64_t secs = ts->tv_sec, days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days--;
  }
  int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  int64_t y = yoe + era * 400 + (m <= 2);
  snprintf(out, 31, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", (int)y, (int)m, (int)d,
           (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), (long)ts->tv_nsec);
}
