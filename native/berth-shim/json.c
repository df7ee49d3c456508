/* JSON string escaping into a sink: a counter (buf NULL), a memory buffer (fd < 0), or a
 * buffer written to an fd when full. Invalid UTF-8 bytes become \ufffd, one per byte, as Go's
 * encoding/json (Docker's json-file) writes them. */
#include <string.h>

#include "shim.h"

int sink_flush(struct sink *s) {
  if (s->fd < 0 || s->len == 0)
    return 0;
  int r = write_all(s->fd, s->buf, s->len);
  s->len = 0;
  return r;
}

void sink_put(struct sink *s, const void *p, size_t n) {
  s->total += n;
  if (!s->buf)
    return;
  if (s->fd >= 0 && s->len + n > s->cap) {
    (void)sink_flush(s);
    if (n > s->cap) {
      (void)write_all(s->fd, p, n);
      return;
    }
  }
  if (s->len + n > s->cap) /* memory: cut */
    n = s->cap - s->len;
  memcpy(s->buf + s->len, p, n);
  s->len += n;
}

/* The length of the valid UTF-8 sequence (2 to 4 bytes) at p, or 0 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *p, size_t n) {
  unsigned c = p[0], lo = 0x80, hi = 0xBF;
  size_t len;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    lo = c == 0xE0 ? 0xA0 : lo;
    hi = c == 0xED ? 0x9F : hi;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    lo = c == 0xF0 ? 0x90 : lo;
    hi = c == 0xF4 ? 0x8F : hi;
  } else {
    return 0;
  }
  if (n < len || p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if ((p[i] & 0xC0) != 0x80)
      return 0;
  return len;
}

void json_escape(struct sink *s, const char *text, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)text, *end = p + n, *run = p;
  while (p < end) {
    unsigned c = *p;
    size_t len = 1;
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      p++;
      continue;
    }
    if (c >= 0x80 && (len = utf8_len(p, (size_t)(end - p))) > 0) {
      p += len;
      continue;
    }
    sink_put(s, run, (size_t)(p - run));
    char esc[8] = {'\\', 0};
    size_t elen = 2;
    switch (c) {
    case '"': esc[1] = '"'; break;
    case '\\': esc[1] = '\\'; break;
    case '\n': esc[1] = 'n'; break;
    case '\r': esc[1] = 'r'; break;
    case '\t': esc[1] = 't'; break;
    case '\b': esc[1] = 'b'; break;
    case '\f': esc[1] = 'f'; break;
    default:
      if (c < 0x20)
        memcpy(esc + 1, (char[]){'u', '0', '0', hex[c >> 4], hex[c & 15]}, 5);
      else
        memcpy(esc + 1, "ufffd", 5);
      elen = 6;
    }
    sink_put(s, esc, elen);
    run = ++p;
  }
  sink_put(s, run, (size_t)(p - run));
}
