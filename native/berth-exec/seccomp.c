/* seccomp through libseccomp: `seccomp` starts a filter, `seccomp-rule` adds to it,
 * `seccomp-load` loads it. Names follow the OCI spec (SCMP_ACT_*, SCMP_ARCH_*, SCMP_CMP_*). */
#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "berth.h"

static int action(const char *name, long long err, uint32_t *out) {
  static const struct {
    const char *name;
    uint32_t action;
  } plain[] = {
      {"SCMP_ACT_KILL", SCMP_ACT_KILL},   {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
      {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS}, {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
      {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW}, {"SCMP_ACT_LOG", SCMP_ACT_LOG},
  };
  if (strcmp(name, "SCMP_ACT_ERRNO") == 0)
    *out = SCMP_ACT_ERRNO((uint32_t)err);
  else if (strcmp(name, "SCMP_ACT_TRACE") == 0)
    *out = SCMP_ACT_TRACE((uint32_t)err);
  else {
    size_t i = 0;
    while (i < sizeof plain / sizeof plain[0] && strcmp(plain[i].name, name) != 0)
      i++;
    if (i == sizeof plain / sizeof plain[0])
      return -1;
    *out = plain[i].action;
  }
  return 0;
}

/* SCMP_ARCH_X86_64 -> libseccomp's "x86_64". */
static int add_arch(scmp_filter_ctx ctx, const char *name, struct berth_error *e) {
  char lower[32];
  size_t i = 0;
  if (strncmp(name, "SCMP_ARCH_", 10) != 0 || strlen(name + 10) >= sizeof lower)
    return berth_fail(e, EINVAL, "seccomp: unknown architecture `%s`", name);
  for (const char *p = name + 10; *p; p++)
    lower[i++] = (char)tolower((unsigned char)*p);
  lower[i] = '\0';
  uint32_t arch = seccomp_arch_resolve_name(lower);
  if (arch == 0)
    return berth_fail(e, EINVAL, "seccomp: unknown architecture `%s`", name);
  int r = seccomp_arch_add(ctx, arch);
  if (r < 0 && r != -EEXIST) /* the native one is already there */
    return berth_fail(e, -r, "seccomp: add architecture `%s`", name);
  return 0;
}

static int set_flag(scmp_filter_ctx ctx, const char *name, struct berth_error *e) {
  enum scmp_filter_attr attr;
  if (strcmp(name, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
    attr = SCMP_FLTATR_CTL_TSYNC;
  else if (strcmp(name, "SECCOMP_FILTER_FLAG_LOG") == 0)
    attr = SCMP_FLTATR_CTL_LOG;
  else if (strcmp(name, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
    attr = SCMP_FLTATR_CTL_SSB;
  else
    return berth_fail(e, EINVAL, "seccomp: unsupported flag `%s`", name);
  int r = seccomp_attr_set(ctx, attr, 1);
  return r < 0 ? berth_fail(e, -r, "seccomp: set flag `%s`", name) : 0;
}

STEP(op_seccomp) {
  uint32_t def;
  const char *name = field_str(s, "default-action");
  if (action(name, field_int(s, "default-errno"), &def) < 0)
    return berth_fail(e, EINVAL, "seccomp: unknown action `%s`", name);
  if (c->seccomp)
    seccomp_release(c->seccomp);
  c->seccomp = seccomp_init(def);
  if (c->seccomp == NULL)
    return berth_fail(e, EINVAL, "seccomp_init `%s`", name);
  c->seccomp_default = def;
  cleanup_free char **arches = field_list(s, "arch", NULL);
  cleanup_free char **flags = field_list(s, "flag", NULL);
  if (arches == NULL || flags == NULL)
    return berth_fail(e, ENOMEM, "seccomp");
  for (char **a = arches; *a; a++)
    if (add_arch(c->seccomp, *a, e) < 0)
      return -1;
  for (char **f = flags; *f; f++)
    if (set_flag(c->seccomp, *f, e) < 0)
      return -1;
  return 0;
}

static int parse_arg(const char *text, struct scmp_arg_cmp *out, struct berth_error *e) {
  static const struct {
    const char *name;
    enum scmp_compare op;
  } ops[] = {
      {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
  };
  unsigned int index;
  unsigned long long a, b;
  char op[32];
  int end = 0;
  if (sscanf(text, "%u:%31[A-Z_]:%llu:%llu%n", &index, op, &a, &b, &end) != 4 ||
      text[end] != '\0' || index > 5)
    return berth_fail(e, EINVAL, "seccomp-rule: bad arg `%s` (index:op:value:valueTwo)", text);
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    if (strcmp(ops[i].name, op) == 0) {
      *out = (struct scmp_arg_cmp){index, ops[i].op, a, b};
      return 0;
    }
  }
  return berth_fail(e, EINVAL, "seccomp-rule: unknown operator `%s`", op);
}

STEP(op_seccomp_rule) {
  uint32_t act;
  struct scmp_arg_cmp cmps[6];
  size_t nargs;
  const char *name = field_str(s, "action");
  if (c->seccomp == NULL)
    return berth_fail(e, EINVAL, "seccomp-rule: no `seccomp` step before it");
  if (action(name, field_int(s, "errno"), &act) < 0)
    return berth_fail(e, EINVAL, "seccomp-rule: unknown action `%s`", name);
  if (act == c->seccomp_default)
    return 0; /* libseccomp refuses rules that repeat the default */
  cleanup_free char **names = field_list(s, "name", NULL);
  cleanup_free char **args = field_list(s, "arg", &nargs);
  if (names == NULL || args == NULL)
    return berth_fail(e, ENOMEM, "seccomp-rule");
  if (nargs > 6)
    return berth_fail(e, E2BIG, "seccomp-rule: more than 6 arg conditions");
  for (size_t i = 0; i < nargs; i++)
    if (parse_arg(args[i], &cmps[i], e) < 0)
      return -1;
  for (char **n = names; *n; n++) {
    int nr = seccomp_syscall_resolve_name(*n);
    if (nr == __NR_SCMP_ERROR)
      continue; /* not a syscall on this architecture */
    int r = seccomp_rule_add_array(c->seccomp, act, nr, (unsigned int)nargs, cmps);
    if (r < 0)
      return berth_fail(e, -r, "seccomp-rule: add `%s`", *n);
  }
  return 0;
}

STEP(op_seccomp_load) {
  (void)s;
  if (c->seccomp == NULL)
    return berth_fail(e, EINVAL, "seccomp-load: no `seccomp` step before it");
  int r = seccomp_load(c->seccomp);
  if (r < 0)
    return berth_fail(e, -r, "seccomp_load");
  seccomp_release(c->seccomp);
  c->seccomp = NULL;
  return 0;
}
