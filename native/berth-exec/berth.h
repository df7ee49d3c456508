/* berth-exec: performs a plan (native/PLAN.md), one primitive per step.
 * Shared types: the error record, cleanup helpers, the parsed plan and the run context. */
#ifndef BERTH_H
#define BERTH_H

#include "../common/wire.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

/* Every failing function returns a negative value and fills one of these. `step` and `op`
 * are set only when the error happened in another step than the running one (the child's). */
struct berth_error {
  int err;
  int step;
  char op[32];
  char msg[1024];
};

int berth_fail(struct berth_error *e, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void cleanup_close_fn(int *fd) {
  if (*fd >= 0)
    close(*fd);
}
static inline void cleanup_free_fn(void *p) { free(*(void **)p); }
#define cleanup_close __attribute__((cleanup(cleanup_close_fn)))
#define cleanup_free __attribute__((cleanup(cleanup_free_fn)))

/* Moves an fd out of a cleanup_close variable. */
static inline int take_fd(int *fd) {
  int r = *fd;
  *fd = -1;
  return r;
}

/* ---- the plan ---- */

enum section { SEC_PRE = 1, SEC_PARENT = 2, SEC_CHILD = 4 };

struct field {
  const char *key;
  const char *value;
};

struct ctx;
struct step;
struct op_spec {
  const char *name;
  unsigned sections;  /* SEC_* bits where the op may appear */
  const char *fields; /* "key:type ..." type s string, i int, o octal, x hex, r rlimit,
                         * ? optional string, * list of strings, # list of ints */
  int (*run)(struct ctx *, const struct step *, struct berth_error *);
};

struct step {
  const struct op_spec *op;
  int number; /* 1-based across all sections */
  int line;
  enum section section;
  struct field *fields;
  size_t nfields;
};

struct plan {
  char *text;
  struct field *fields;
  struct step *steps;
  size_t nsteps;
};

int plan_load(const char *path, struct plan *plan, struct berth_error *e);
/* Parses `text` (NUL-terminated, ends with a newline) in place; the plan keeps pointing into it. */
int plan_parse(char *text, struct plan *plan, struct berth_error *e);
/* Percent-decodes `v` in place (native/PLAN.md); `line` names it in errors. */
int decode_value(char *v, int line, struct berth_error *e);
const struct op_spec *op_find(const char *name);
const char *field_str(const struct step *s, const char *key);
long long field_int(const struct step *s, const char *key);
unsigned long long field_num(const struct step *s, const char *key, int base);
/* NULL-terminated malloc'd array of the values of a repeated key (free the array only). */
char **field_list(const struct step *s, const char *key, size_t *n);

/* ---- the run context ---- */

struct sock_filter;
struct bpf_filter {
  int load_step;
  unsigned int flags; /* SECCOMP_FILTER_FLAG_* */
  unsigned short len;
  struct sock_filter *insns;
};

struct ctx {
  const struct plan *plan;
  bool is_child;
  int report_fd;
  const char *report_prefix; /* serve mode: the request id, written before every report line;
                              * the report fd is the reply channel and `report` leaves it */
  int console_fd;
  bool console_pair;   /* console-pair: the parent relays the pty (console_peer receives it) */
  int console_peer;
  int fifo_fd;
  int sync_fd;
  unsigned syncs;
  pid_t child_pid;     /* parent: the child; child: its pid as the parent sees it */
  char **cgroups;      /* directories cgroup-mkdir created, in order */
  size_t ncgroups;
  char *pidfile;       /* the pid file the parent wrote */
  char *fifo_path;     /* the exec fifo exec-fifo made */
  struct {
    int fd;
    const char *path;
  } enters[16];        /* v1 `tasks` files cgroup-open opened, for the child's cgroup-enter */
  size_t nenters;
  struct bpf_filter filters[4]; /* compiled seccomp filters, by their seccomp-load step */
  size_t nfilters;
  int pinned_fd;       /* pin-pid: /proc/<pinned_pid>, open; setns paths under it go through it */
  pid_t pinned_pid;
};

/* util.c */
int write_file(const char *path, const char *value, struct berth_error *e);
void report_line(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* sync.c */
int sync_open(int sv[2], struct berth_error *e);
int sync_parent(struct ctx *c, struct berth_error *e);
int sync_child(struct ctx *c, struct berth_error *e);
int sync_send_error(struct ctx *c, int step, const char *op, const struct berth_error *err);
bool sync_take_error(struct ctx *c, struct berth_error *out);

/* main.c */
#define CTX_INIT {.report_fd = -1, .console_fd = -1, .fifo_fd = -1, .sync_fd = -1, .pinned_fd = -1}
/* Runs @pre, then @parent or @child; returns the exit status (a failure exits from inside). */
int plan_perform(struct ctx *c, const struct plan *plan);
void parent_cleanup(struct ctx *c);
void report_failure(struct ctx *c, const struct step *s, const struct berth_error *e);

/* serve.c */
int serve(void);

/* path.c */
enum mkdir_mode { MK_NONE, MK_DIR, MK_FILE };
int open_in_root(const char *root, const char *dest, enum mkdir_mode mk, struct berth_error *e);
int open_parent_in_root(const char *root, const char *dest, const char **name, struct berth_error *e);

/* Step functions, one per op (ops.c binds names to these). */
#define STEP(fn) int fn(struct ctx *c, const struct step *s, struct berth_error *e)
/* host.c */
STEP(op_report); STEP(op_cgroup_mkdir); STEP(op_cgroup_write); STEP(op_exec_fifo);
STEP(op_userns_map); STEP(op_cgroup_join); STEP(op_pidfile); STEP(op_report_pid);
STEP(op_cgroup_open); STEP(op_cgroup_enter);
void cgroup_close_enters(struct ctx *c);
/* process.c */
STEP(op_setns); STEP(op_pin_pid); STEP(op_clone); STEP(op_sync); STEP(op_wait_child);
/* exec.c */
STEP(op_exec); STEP(op_check_exec);
/* mount.c */
STEP(op_mount); STEP(op_remount); STEP(op_propagate); STEP(op_mask); STEP(op_readonly);
STEP(op_remount_root_ro); STEP(op_pivot_root); STEP(op_setattr);
/* nodes.c */
STEP(op_mknod); STEP(op_symlink);
/* proc.c */
STEP(op_become_root); STEP(op_setsid); STEP(op_hostname); STEP(op_domainname);
STEP(op_sysctl); STEP(op_rlimit); STEP(op_oom_score_adj); STEP(op_umask); STEP(op_chdir);
STEP(op_close_fds); STEP(op_wait_start);
/* caps.c */
STEP(op_caps_bounding); STEP(op_caps); STEP(op_user); STEP(op_no_new_privs);
/* seccomp.c, seccomp_cache.c */
STEP(op_seccomp); STEP(op_seccomp_rule); STEP(op_seccomp_load);
int seccomp_compile(struct ctx *c, const struct plan *p, struct berth_error *e);
int seccomp_cache_get(const struct step *steps, size_t n, struct bpf_filter *f);
void seccomp_cache_put(const struct step *steps, size_t n, const struct bpf_filter *f);
/* hook.c */
STEP(op_hook);
/* console.c */
STEP(op_console_connect); STEP(op_console_pty);
/* proxy.c */
STEP(op_console_pair);
int proxy_until_exit(struct ctx *c, const int *signals, size_t nsignals, int *status,
                     struct berth_error *e);
/* net.c */
STEP(op_loopback);

#endif
