/* Reads a plan and checks all of it (version, sections, ops, fields, value syntax) before
 * anything runs. Values are percent-decoded in place; fields point into the plan text. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "berth.h"

#define PLAN_VERSION "1"
#define PLAN_MAX (16u << 20)

static int read_text(const char *path, char **out, struct berth_error *e) {
  cleanup_close int fd = -1;
  int in = 0, passed;
  char end;
  if (sscanf(path, "/proc/self/fd/%d%c", &passed, &end) == 1 && passed > 2) {
    fd = passed; /* read (and then close) the fd itself: open(2) fails on a socket */
  } else if (strcmp(path, "-") != 0) {
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return berth_fail(e, errno, "open plan `%s`", path);
  }
  if (fd >= 0)
    in = fd;
  size_t len = 0, cap = 16384;
  cleanup_free char *buf = malloc(cap + 1);
  for (;;) {
    if (buf == NULL)
      return berth_fail(e, ENOMEM, "read plan `%s`", path);
    ssize_t n = read(in, buf + len, cap - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return berth_fail(e, errno, "read plan `%s`", path);
    if (n == 0)
      break;
    len += n;
    if (len == cap) {
      if (cap >= PLAN_MAX)
        return berth_fail(e, 0, "plan `%s` is larger than %u bytes", path, PLAN_MAX);
      cap *= 2;
      char *bigger = realloc(buf, cap + 1);
      if (bigger == NULL)
        free(buf);
      buf = bigger;
    }
  }
  if (len == 0 || buf[len - 1] != '\n')
    return berth_fail(e, 0, "plan `%s` is empty or does not end with a newline", path);
  buf[len] = '\0';
  *out = buf;
  buf = NULL;
  return 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static bool safe_char(unsigned char c) { return isalnum(c) || (c && strchr("._~/:,@+=-", c)); }

/* Percent-decodes `v` in place; refuses raw unsafe bytes, bad escapes and NUL. */
int decode_value(char *v, int line, struct berth_error *e) {
  char *out = v;
  for (char *p = v; *p; p++) {
    if (*p != '%') {
      if (!safe_char(*p))
        return berth_fail(e, 0, "plan line %d: byte 0x%02x must be percent-encoded", line,
                          (unsigned char)*p);
      *out++ = *p;
      continue;
    }
    int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
    if (hi < 0 || lo < 0)
      return berth_fail(e, 0, "plan line %d: bad percent escape `%.3s`", line, p);
    if (hi == 0 && lo == 0)
      return berth_fail(e, 0, "plan line %d: values may not contain %%00", line);
    *out++ = (char)(hi << 4 | lo);
    p += 2;
  }
  *out = '\0';
  return 0;
}

/* The type letter of `key` in an op's field spec ("key:t key:t"), 0 if not a field. */
static char spec_type(const char *spec, const char *key) {
  size_t klen = strlen(key);
  for (const char *p = spec; *p;) {
    const char *colon = strchr(p, ':');
    if ((size_t)(colon - p) == klen && strncmp(p, key, klen) == 0)
      return colon[1];
    p = colon + 2;
    while (*p == ' ')
      p++;
  }
  return 0;
}

static bool all_of(const char *v, const char *set) { return *v && strspn(v, set) == strlen(v); }

static bool value_ok(char type, const char *v) {
  switch (type) {
  case 'i':
    if (*v == '-')
      v++;
    return all_of(v, "0123456789") && strlen(v) <= 18;
  case '#':
    return all_of(v, "0123456789") && strlen(v) <= 10;
  case 'o':
    return all_of(v, "01234567") && strlen(v) <= 11;
  case 'x':
    return all_of(v, "0123456789abcdefABCDEF") && strlen(v) <= 16;
  case 'r':
    return strcmp(v, "unlimited") == 0 || (all_of(v, "0123456789") && strlen(v) <= 19);
  default:
    return true;
  }
}

static size_t count_key(const struct step *s, const char *key, size_t klen) {
  size_t n = 0;
  for (size_t i = 0; i < s->nfields; i++)
    if (strlen(s->fields[i].key) == klen && strncmp(s->fields[i].key, key, klen) == 0)
      n++;
  return n;
}

/* Every scalar field present exactly once (an optional one at most once). */
static int check_required(const struct step *s, struct berth_error *e) {
  for (const char *p = s->op->fields; *p;) {
    const char *colon = strchr(p, ':');
    size_t klen = colon - p, n = count_key(s, p, klen);
    bool list = colon[1] == '*' || colon[1] == '#', optional = colon[1] == '?';
    if (optional ? n > 1 : !list && n != 1)
      return berth_fail(e, 0, "plan line %d: `%s` needs exactly one `%.*s=` field (has %zu)",
                        s->line, s->op->name, (int)klen, p, n);
    p = colon + 2;
    while (*p == ' ')
      p++;
  }
  return 0;
}

static int parse_field(struct step *s, char *tok, struct berth_error *e) {
  char *eq = strchr(tok, '=');
  if (eq == NULL || eq == tok)
    return berth_fail(e, 0, "plan line %d: field `%s` is not key=value", s->line, tok);
  *eq = '\0';
  char type = spec_type(s->op->fields, tok);
  if (type == 0)
    return berth_fail(e, 0, "plan line %d: `%s` has no field `%s`", s->line, s->op->name, tok);
  if (decode_value(eq + 1, s->line, e) < 0)
    return -1;
  if (!value_ok(type, eq + 1))
    return berth_fail(e, 0, "plan line %d: bad value `%s` for `%s`", s->line, eq + 1, tok);
  s->fields[s->nfields++] = (struct field){tok, eq + 1};
  return 0;
}

static int parse_step(struct step *s, char *line, struct berth_error *e) {
  char *save = NULL, *tok;
  if (*line == ' ' || strstr(line, "  ") || line[strlen(line) - 1] == ' ')
    return berth_fail(e, 0, "plan line %d: fields must be separated by single spaces", s->line);
  char *name = strtok_r(line, " ", &save);
  s->op = op_find(name);
  if (s->op == NULL)
    return berth_fail(e, 0, "plan line %d: unknown op `%s`", s->line, name);
  if (!(s->op->sections & s->section))
    return berth_fail(e, 0, "plan line %d: `%s` is not allowed in this section", s->line, name);
  while ((tok = strtok_r(NULL, " ", &save)) != NULL)
    if (parse_field(s, tok, e) < 0)
      return -1;
  return check_required(s, e);
}

static int parse_header(const char *line, struct berth_error *e) {
  if (strncmp(line, "berth-plan ", 11) != 0)
    return berth_fail(e, 0, "plan line 1: expected `berth-plan " PLAN_VERSION "`");
  if (strcmp(line + 11, PLAN_VERSION) != 0)
    return berth_fail(e, 0, "plan line 1: unsupported plan version `%s` (this berth-exec reads "
                      PLAN_VERSION ")", line + 11);
  return 0;
}

static int check_shape(const struct plan *p, int sections, struct berth_error *e) {
  if (sections != 3)
    return berth_fail(e, 0, "plan: needs the sections @pre, @parent and @child");
  int clones = 0;
  const struct step *last_pre = NULL;
  for (size_t i = 0; i < p->nsteps; i++) {
    if (p->steps[i].section == SEC_PRE)
      last_pre = &p->steps[i];
    clones += strcmp(p->steps[i].op->name, "clone") == 0;
  }
  if (clones != 1 || last_pre == NULL || strcmp(last_pre->op->name, "clone") != 0)
    return berth_fail(e, 0, "plan: `clone` must be the last step of @pre, exactly once");
  return 0;
}

static const char *const section_names[] = {"@pre", "@parent", "@child"};

static int parse_lines(struct plan *p, struct berth_error *e) {
  int lineno = 0, sections = 0;
  char *save = NULL;
  for (char *line = p->text; *line; line = save) {
    save = strchr(line, '\n');
    *save++ = '\0';
    lineno++;
    if (lineno == 1) {
      if (parse_header(line, e) < 0)
        return -1;
    } else if (*line == '@') {
      if (sections == 3 || strcmp(line, section_names[sections]) != 0)
        return berth_fail(e, 0, "plan line %d: expected %s, found `%s`", lineno,
                          sections == 3 ? "a step" : section_names[sections], line);
      sections++;
    } else {
      if (sections == 0)
        return berth_fail(e, 0, "plan line %d: step before @pre", lineno);
      struct step *s = &p->steps[p->nsteps];
      *s = (struct step){.number = (int)p->nsteps + 1, .line = lineno,
                         .section = 1u << (sections - 1), .fields = p->fields};
      if (*line == '\0')
        return berth_fail(e, 0, "plan line %d: empty line", lineno);
      if (parse_step(s, line, e) < 0)
        return -1;
      p->fields += s->nfields;
      p->nsteps++;
    }
  }
  return check_shape(p, sections, e);
}

int plan_parse(char *text, struct plan *p, struct berth_error *e) {
  *p = (struct plan){.text = text};
  size_t lines = 0, spaces = 0, len = strlen(text);
  if (len == 0 || text[len - 1] != '\n')
    return berth_fail(e, 0, "plan is empty or does not end with a newline");
  for (const char *c = text; *c; c++) {
    lines += *c == '\n';
    spaces += *c == ' ';
  }
  p->steps = calloc(lines, sizeof *p->steps);
  struct field *fields = calloc(spaces + 1, sizeof *fields);
  p->fields = fields;
  if (p->steps == NULL || fields == NULL)
    return berth_fail(e, ENOMEM, "plan");
  int r = parse_lines(p, e);
  p->fields = fields;
  return r;
}

int plan_load(const char *path, struct plan *p, struct berth_error *e) {
  char *text = NULL;
  if (read_text(path, &text, e) < 0)
    return -1;
  return plan_parse(text, p, e);
}

const char *field_str(const struct step *s, const char *key) {
  for (size_t i = 0; i < s->nfields; i++)
    if (strcmp(s->fields[i].key, key) == 0)
      return s->fields[i].value;
  return "";
}

long long field_int(const struct step *s, const char *key) {
  return strtoll(field_str(s, key), NULL, 10);
}

unsigned long long field_num(const struct step *s, const char *key, int base) {
  return strtoull(field_str(s, key), NULL, base);
}

char **field_list(const struct step *s, const char *key, size_t *n) {
  char **list = calloc(s->nfields + 1, sizeof *list);
  size_t k = 0;
  for (size_t i = 0; list && i < s->nfields; i++)
    if (strcmp(s->fields[i].key, key) == 0)
      list[k++] = (char *)s->fields[i].value;
  if (n)
    *n = k;
  return list;
}
