/* seccomp: each `seccomp` ... `seccomp-rule`* ... `seccomp-load` block of @child is compiled to
 * BPF with libseccomp when the plan is read (before @pre: errors come before any side effect,
 * and the host-side BPF cache is reachable); the child's `seccomp-load` loads that BPF with
 * seccomp(2). Names follow the OCI spec (SCMP_ACT_*, SCMP_ARCH_*, SCMP_CMP_*). */
#include <ctype.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

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

static int load_flag(const char *name, unsigned int *flags, struct berth_error *e) {
  if (strcmp(name, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
    *flags |= SECCOMP_FILTER_FLAG_TSYNC;
  else if (strcmp(name, "SECCOMP_FILTER_FLAG_LOG") == 0)
    *flags |= SECCOMP_FILTER_FLAG_LOG;
  else if (strcmp(name, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
    *flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  else
    return berth_fail(e, EINVAL, "seccomp: unsupported flag `%s`", name);
  return 0;
}

struct build {
  scmp_filter_ctx ctx;
  uint32_t def;
};

static void build_release(struct build *b) {
  if (b->ctx)
    seccomp_release(b->ctx);
}

static int build_start(struct build *b, const struct step *s, struct berth_error *e) {
  const char *name = field_str(s, "default-action");
  if (action(name, field_int(s, "default-errno"), &b->def) < 0)
    return berth_fail(e, EINVAL, "seccomp: unknown action `%s`", name);
  b->ctx = seccomp_init(b->def);
  if (b->ctx == NULL)
    return berth_fail(e, EINVAL, "seccomp_init `%s`", name);
  /* a binary tree of syscall numbers, not a list: the kernel emulates the filter for every
   * syscall number when it loads it (its allow-cache), walking the list took ~1.5 ms here */
  int r = seccomp_attr_set(b->ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (r < 0)
    return berth_fail(e, -r, "seccomp: set the filter's optimization level");
  cleanup_free char **arches = field_list(s, "arch", NULL);
  if (arches == NULL)
    return berth_fail(e, ENOMEM, "seccomp");
  for (char **a = arches; *a; a++)
    if (add_arch(b->ctx, *a, e) < 0)
      return -1;
  return 0;
}

static int load_flags(const struct step *s, unsigned int *flags, struct berth_error *e) {
  cleanup_free char **names = field_list(s, "flag", NULL);
  if (names == NULL)
    return berth_fail(e, ENOMEM, "seccomp");
  for (char **f = names; *f; f++)
    if (load_flag(*f, flags, e) < 0)
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

static int build_rule(struct build *b, const struct step *s, struct berth_error *e) {
  uint32_t act;
  struct scmp_arg_cmp cmps[6];
  size_t nargs;
  const char *name = field_str(s, "action");
  if (action(name, field_int(s, "errno"), &act) < 0)
    return berth_fail(e, EINVAL, "seccomp-rule: unknown action `%s`", name);
  if (act == b->def)
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
    int r = seccomp_rule_add_array(b->ctx, act, nr, (unsigned int)nargs, cmps);
    if (r < 0)
      return berth_fail(e, -r, "seccomp-rule: add `%s`", *n);
  }
  return 0;
}

static int build_export(struct build *b, struct bpf_filter *f, struct berth_error *e) {
  cleanup_close int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
  int r = fd < 0 ? -errno : seccomp_export_bpf(b->ctx, fd);
  off_t len = r < 0 ? 0 : lseek(fd, 0, SEEK_END);
  if (r < 0 || len <= 0 || len % sizeof *f->insns != 0 || len / sizeof *f->insns > BPF_MAXINSNS)
    return berth_fail(e, r < 0 ? -r : EINVAL, "seccomp: export the filter");
  f->insns = malloc(len);
  if (f->insns == NULL || pread(fd, f->insns, len, 0) != len)
    return berth_fail(e, f->insns ? errno : ENOMEM, "seccomp: read the filter");
  f->len = (unsigned short)(len / sizeof *f->insns);
  return 0;
}

/* Compiles the block from steps[0] (`seccomp`) to its `seccomp-load`; returns its length. */
static int compile_block(struct ctx *c, const struct step *steps, size_t n, struct berth_error *e) {
  struct bpf_filter *f = &c->filters[c->nfilters];
  __attribute__((cleanup(build_release))) struct build b = {0};
  size_t i = 1;
  while (i < n && strcmp(steps[i].op->name, "seccomp-rule") == 0)
    i++;
  if (i == n || strcmp(steps[i].op->name, "seccomp-load") != 0)
    return berth_fail(e, EINVAL, "seccomp: no `seccomp-load` after its rules");
  f->load_step = steps[i].number;
  if (load_flags(&steps[0], &f->flags, e) < 0)
    return -1;
  int cached = seccomp_cache_get(steps, i + 1, f);
  if (cached < 0 && build_start(&b, &steps[0], e) < 0)
    return -1;
  for (size_t k = 1; cached < 0 && k < i; k++)
    if (build_rule(&b, &steps[k], e) < 0) {
      e->step = steps[k].number;
      snprintf(e->op, sizeof e->op, "seccomp-rule");
      return -1;
    }
  if (cached < 0) {
    if (build_export(&b, f, e) < 0)
      return -1;
    seccomp_cache_put(steps, i + 1, f);
  }
  c->nfilters++;
  return (int)i + 1;
}

int seccomp_compile(struct ctx *c, const struct plan *p, struct berth_error *e) {
  for (size_t i = 0; i < p->nsteps;) {
    const struct step *s = &p->steps[i];
    if (s->section != SEC_CHILD || strcmp(s->op->name, "seccomp") != 0) {
      i++;
      continue;
    }
    if (c->nfilters == sizeof c->filters / sizeof c->filters[0])
      return berth_fail(e, E2BIG, "seccomp: too many filters");
    int n = compile_block(c, s, p->nsteps - i, e);
    if (n < 0) {
      if (e->step == 0) {
        e->step = s->number;
        snprintf(e->op, sizeof e->op, "seccomp");
      }
      return -1;
    }
    i += (size_t)n;
  }
  return 0;
}

/* The filter was compiled when the plan was read: these two steps have nothing left to do. */
STEP(op_seccomp) {
  (void)c, (void)s, (void)e;
  return 0;
}

STEP(op_seccomp_rule) {
  (void)c, (void)s, (void)e;
  return 0;
}

STEP(op_seccomp_load) {
  for (size_t i = 0; i < c->nfilters; i++) {
    struct bpf_filter *f = &c->filters[i];
    if (f->load_step != s->number)
      continue;
    struct sock_fprog prog = {f->len, f->insns};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &prog) < 0)
      return berth_fail(e, errno, "seccomp: load the filter (%u instructions)", f->len);
    return 0;
  }
  return berth_fail(e, EINVAL, "seccomp-load: no filter was compiled for it");
}
