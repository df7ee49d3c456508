/* berth-exec PLANFILE|-: reads a plan (native/PLAN.md) and performs it, step by step.
 * @pre runs here; `clone` splits into the parent (@parent) and the child (@child).
 * berth-exec --serve: a launcher that performs plans sent on stdin, one fork each (serve.c). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "berth.h"

/* Prints `berth-exec: step N (op): message` and writes the `error` report line. */
void report_failure(struct ctx *c, const struct step *s, const struct berth_error *e) {
  int number = e->step ? e->step : s->number;
  const char *op = e->op[0] ? e->op : s->op->name;
  char encoded[3 * sizeof e->msg + 1];
  /* BERTH_EXEC_QUIET: the caller (berth-shim) takes the report line alone */
  if (!getenv("BERTH_EXEC_QUIET"))
    fprintf(stderr, "berth-exec: step %d (%s): %s\n", number, op, e->msg);
  percent_encode(e->msg, encoded, sizeof encoded);
  report_line(c, "error %d %s %d %s\n", number, op, e->err, encoded);
}

static void rmdir_retrying(const char *path) {
  for (int i = 0; i < 200 && rmdir(path) < 0 && errno == EBUSY; i++)
    nanosleep(&(struct timespec){0, 1000000}, NULL);
}

/* Kills and reaps the child; removes the cgroup directories (deepest first), the pid file and
 * the exec fifo it made. */
void parent_cleanup(struct ctx *c) {
  if (c->child_pid > 0) {
    kill(c->child_pid, SIGKILL);
    while (waitpid(c->child_pid, NULL, 0) < 0 && errno == EINTR)
      ;
    c->child_pid = -1;
  }
  for (size_t i = c->ncgroups; i-- > 0;)
    rmdir_retrying(c->cgroups[i]);
  if (c->pidfile)
    unlink(c->pidfile);
  if (c->fifo_path)
    unlink(c->fifo_path);
}

static void __attribute__((noreturn)) parent_fail(struct ctx *c, const struct step *s,
                                                  struct berth_error *e) {
  struct berth_error child;
  /* A child error already queued is the cause (e.g. the child died before a uid map write). */
  if (e->step == 0 && sync_take_error(c, &child))
    e = &child;
  report_failure(c, s, e);
  parent_cleanup(c);
  exit(1);
}

/* exec failures exit like a shell: 127 not found, 126 found but not executable. */
static int exec_status(int err) { return err == ENOENT || err == ENOTDIR ? 127 : 126; }

static void __attribute__((noreturn)) child_fail(struct ctx *c, const struct step *s,
                                                 struct berth_error *e) {
  int number = e->step ? e->step : s->number;
  const char *op = e->op[0] ? e->op : s->op->name;
  /* The parent prints it when it listens; otherwise it goes to the container's stderr. */
  if (sync_send_error(c, number, op, e) < 0)
    report_failure(c, s, e);
  _exit(s->op->run == op_exec ? exec_status(e->err) : 1);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int plan_perform(struct ctx *c, const struct plan *plan) {
  struct berth_error e = {0};
  /* BERTH_EXEC_TRACE set: each step's duration on stderr (the child's is the container's) */
  bool trace = getenv("BERTH_EXEC_TRACE") != NULL;
  c->plan = plan;
  enum section running = SEC_PRE;
  for (size_t i = 0; i < plan->nsteps; i++) {
    const struct step *s = &plan->steps[i];
    if (s->section != running)
      continue;
    double t0 = trace ? now_ms() : 0;
    int r = s->op->run(c, s, &e);
    if (trace)
      fprintf(stderr, "berth-exec: %s step %d %s %.3f ms\n", c->is_child ? "child" : "parent",
              s->number, s->op->name, now_ms() - t0);
    if (r < 0) {
      if (c->is_child)
        child_fail(c, s, &e);
      parent_fail(c, s, &e);
    }
    if (s->op->run == op_clone)
      running = c->is_child ? SEC_CHILD : SEC_PARENT;
  }
  if (c->is_child)
    _exit(0);
  return 0;
}

int main(int argc, char **argv) {
  struct ctx c = CTX_INIT;
  struct berth_error e = {0};
  struct plan plan;
  if (argc == 2 && strcmp(argv[1], "--serve") == 0)
    return serve();
  if (argc != 2) {
    fprintf(stderr, "usage: berth-exec PLANFILE (or - for stdin) | berth-exec --serve\n");
    return 1;
  }
  if (plan_load(argv[1], &plan, &e) < 0) {
    fprintf(stderr, "berth-exec: %s\n", e.msg);
    return 1;
  }
  return plan_perform(&c, &plan);
}
