/* berth-exec --serve: the launcher (native/PLAN.md, "Serve mode"). Started once by berthd, it
 * reads `run` requests on stdin, forks one interpreter per request (the code path of
 * `berth-exec PLANFILE`) or, for a `spawn` request, execs a program (berthd's shims), and writes
 * `<id> done <status>` on stdout when it reaps one. It is a
 * child subreaper: a container whose interpreter has ended is reparented to it and reaped here.
 * The loop only polls stdin and a signalfd; it never waits for a child. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "berth.h"

#define HEADER_MAX 16384
#define PLAN_MAX (16u << 20)
#define ID_MAX 32
#define REPORT_FD 3 /* the forked interpreter's report fd: a dup of the reply channel */

struct job {
  pid_t pid;
  char id[ID_MAX + 1];
};

struct server {
  int sigfd;
  bool closed; /* end of input or a malformed request: accept no more */
  char *in;    /* input not consumed yet */
  size_t len, cap;
  struct job *jobs; /* forked interpreters not reaped yet */
  size_t njobs;
};

struct request {
  bool spawn; /* `spawn`: the body is an argv to exec, not a plan */
  char id[ID_MAX + 1];
  size_t nbytes;
  char *stdio[3]; /* decoded paths; `-`: the launcher's own (fds 3, 4, 2) */
};

/* One line on the reply channel, in one write(2) shorter than PIPE_BUF. */
static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n > 0 && (size_t)n < sizeof line)
    (void)write_all(STDOUT_FILENO, line, (size_t)n);
}

static void cleanup_server_fn(struct server *s) {
  if (s->sigfd >= 0)
    close(s->sigfd);
  free(s->in);
  free(s->jobs);
}

static int serve_init(struct server *s, struct berth_error *e) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
    return berth_fail(e, errno, "prctl PR_SET_CHILD_SUBREAPER");
  signal(SIGPIPE, SIG_IGN); /* a client gone must not kill the launcher */
  signal(SIGCHLD, SIG_DFL);
  if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
    return berth_fail(e, errno, "sigprocmask");
  s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (s->sigfd < 0)
    return berth_fail(e, errno, "signalfd");
  return 0;
}

/* ---- the forked interpreter ---- */

/* Opens the request's stdio (stdin read-only, stdout and stderr append/create) onto 0, 1, 2. */
static int child_stdio(const struct request *r, struct berth_error *e) {
  static const int own[3] = {3, 4, STDERR_FILENO};
  int fds[3] = {-1, -1, -1};
  for (int k = 0; k < 3; k++) {
    const char *path = r->stdio[k];
    if (strcmp(path, "-") == 0)
      fds[k] = fcntl(own[k], F_DUPFD_CLOEXEC, 10);
    else
      fds[k] = open(path, (k ? O_WRONLY | O_APPEND | O_CREAT : O_RDONLY) | O_CLOEXEC, 0644);
    if (fds[k] < 0)
      return berth_fail(e, errno, "open %s `%s`", k ? k == 1 ? "stdout" : "stderr" : "stdin",
                        path);
  }
  for (int k = 0; k < 3; k++)
    if (dup2(fds[k], k) < 0)
      return berth_fail(e, errno, "dup2 stdio %d", k);
  return 0;
}

/* The start of a forked child: default signal handling, the reply channel as its report fd
 * (lines prefixed with the request's id). */
static void child_begin(struct ctx *c, const struct request *r) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  c->report_prefix = r->id;
  c->report_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 10);
}

/* Stdio from the request, the report fd moved to REPORT_FD (close-on-exec), every other fd
 * closed. */
static int child_fds(struct ctx *c, const struct request *r, struct berth_error *e) {
  if (child_stdio(r, e) < 0)
    return -1;
  if (dup3(c->report_fd, REPORT_FD, O_CLOEXEC) < 0 ||
      syscall(SYS_close_range, REPORT_FD + 1, ~0U, 0) < 0)
    return berth_fail(e, errno, "report fd %d", REPORT_FD);
  c->report_fd = REPORT_FD;
  return 0;
}

/* A child that failed before its work began: an `error` line naming `op`, then out. */
static void __attribute__((noreturn)) child_failed(struct ctx *c, const char *op,
                                                   const struct berth_error *e, int status) {
  char encoded[3 * sizeof e->msg + 1];
  percent_encode(e->msg, encoded, sizeof encoded);
  report_line(c, "error 0 %s %d %s\n", op, e->err, encoded);
  _exit(status);
}

/* The forked child: sets up, then performs the plan exactly as `berth-exec PLANFILE` does. */
static void __attribute__((noreturn)) interpret(const struct request *r, char *text) {
  struct ctx c = CTX_INIT;
  struct berth_error e = {0};
  struct plan plan;
  const char *op = "stdio";
  child_begin(&c, r);
  if (child_fds(&c, r, &e) == 0) {
    op = "plan";
    text[r->nbytes] = '\0'; /* this process's copy of the input */
    if (plan_parse(text, &plan, &e) == 0)
      _exit(plan_perform(&c, &plan));
  }
  fprintf(stderr, "berth-exec: %s\n", e.msg);
  child_failed(&c, op, &e, 1);
}

/* The body of a `spawn` request: NUL-terminated strings, the program's path first. */
static int spawn_argv(char *body, size_t n, char ***argv, struct berth_error *e) {
  if (n == 0 || body[n - 1] != '\0')
    return berth_fail(e, 0, "argv does not end with a NUL");
  size_t count = 0;
  for (size_t i = 0; i < n; i++)
    count += body[i] == '\0';
  char **v = calloc(count + 1, sizeof *v);
  if (v == NULL)
    return berth_fail(e, ENOMEM, "argv");
  for (size_t i = 0, k = 0; i < n; i += strlen(body + i) + 1)
    v[k++] = body + i;
  if (v[0][0] != '/')
    return berth_fail(e, 0, "program `%s` is not an absolute path", v[0]);
  *argv = v;
  return 0;
}

/* The forked child of a `spawn` request: the stdio, a report fd for a failure (close-on-exec),
 * every other fd closed, then execv. */
static void __attribute__((noreturn)) spawn_program(const struct request *r, char *body) {
  struct ctx c = CTX_INIT;
  struct berth_error e = {0};
  const char *op = "stdio";
  char **argv = NULL;
  child_begin(&c, r);
  if (child_fds(&c, r, &e) == 0) {
    op = "exec";
    if (spawn_argv(body, r->nbytes, &argv, &e) == 0) {
      execv(argv[0], argv);
      berth_fail(&e, errno, "exec `%s`", argv[0]);
    }
  }
  child_failed(&c, op, &e, 127);
}

/* ---- requests ---- */

static bool id_ok(const char *id) {
  size_t n = strlen(id);
  return n > 0 && n <= ID_MAX &&
         strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* `run|spawn <id> <nbytes> <stdin> <stdout> <stderr>` (the line, without its newline). */
static int parse_header(char *line, struct request *r, struct berth_error *e) {
  static const char usage[] = "expected run|spawn ID NBYTES STDIN STDOUT STDERR";
  char *save = NULL, *tok[6];
  for (int i = 0; i < 6; i++)
    if ((tok[i] = strtok_r(i ? NULL : line, " ", &save)) == NULL)
      return berth_fail(e, 0, "request `%.64s`: %s", line, usage);
  char *end;
  unsigned long long n = strtoull(tok[2], &end, 10);
  bool run = strcmp(tok[0], "run") == 0, spawn = strcmp(tok[0], "spawn") == 0;
  if (!(run || spawn) || strtok_r(NULL, " ", &save) || !id_ok(tok[1]) || *end || n == 0 ||
      n > PLAN_MAX)
    return berth_fail(e, 0, "request `%.64s`: %s", line, usage);
  r->spawn = spawn;
  snprintf(r->id, sizeof r->id, "%s", tok[1]);
  r->nbytes = (size_t)n;
  for (int k = 0; k < 3; k++) {
    r->stdio[k] = tok[3 + k];
    if (decode_value(r->stdio[k], 0, e) < 0)
      return berth_fail(e, 0, "request %s: bad percent-encoding in stdio `%s`", r->id, tok[3 + k]);
    if (r->stdio[k][0] != '/' && strcmp(r->stdio[k], "-") != 0)
      return berth_fail(e, 0, "request %s: stdio `%s` is not an absolute path or `-`", r->id,
                        r->stdio[k]);
  }
  return 0;
}

static void launch(struct server *s, const struct request *r, char *text) {
  struct job *jobs = realloc(s->jobs, (s->njobs + 1) * sizeof *jobs);
  pid_t pid = jobs ? fork() : -1;
  int err = jobs ? errno : ENOMEM;
  if (jobs)
    s->jobs = jobs;
  if (pid == 0 && r->spawn)
    spawn_program(r, text);
  if (pid == 0)
    interpret(r, text);
  if (pid < 0) {
    reply("%s error 0 fork %d %s\n%s done 1\n", r->id, err, strerror(err), r->id);
    return;
  }
  s->jobs[s->njobs].pid = pid;
  memcpy(s->jobs[s->njobs].id, r->id, sizeof r->id);
  s->njobs++;
}

/* Starts every complete request in the input; returns -1 on a malformed one. */
static int take_requests(struct server *s, struct berth_error *e) {
  size_t used = 0;
  int r = 0;
  for (;;) {
    char *line = s->in + used, *nl = memchr(line, '\n', s->len - used);
    if (nl == NULL) {
      if (s->len - used > HEADER_MAX)
        r = berth_fail(e, 0, "request header longer than %d bytes", HEADER_MAX);
      break;
    }
    size_t header = (size_t)(nl - line) + 1;
    char copy[HEADER_MAX + 1];
    struct request req;
    if (header > HEADER_MAX) {
      r = berth_fail(e, 0, "request header longer than %d bytes", HEADER_MAX);
      break;
    }
    memcpy(copy, line, header - 1);
    copy[header - 1] = '\0';
    if (parse_header(copy, &req, e) < 0) {
      r = -1;
      break;
    }
    if (s->len - used - header < req.nbytes)
      break; /* the plan is not all here yet */
    launch(s, &req, line + header);
    used += header + req.nbytes;
  }
  memmove(s->in, s->in + used, s->len - used);
  s->len -= used;
  return r;
}

static int read_input(struct server *s, struct berth_error *e) {
  if (s->cap - s->len < 65536) {
    char *bigger = realloc(s->in, s->cap + 65536 + 1); /* +1: room for a plan's NUL */
    if (bigger == NULL)
      return berth_fail(e, ENOMEM, "read requests");
    s->in = bigger;
    s->cap += 65536;
  }
  ssize_t n = read(STDIN_FILENO, s->in + s->len, s->cap - s->len);
  if (n < 0)
    return errno == EINTR || errno == EAGAIN ? 0 : berth_fail(e, errno, "read requests");
  if (n == 0)
    s->closed = true;
  s->len += (size_t)n;
  return 0;
}

/* Reaps every child that has ended: interpreters get a `done` line, adopted containers a
 * `- reaped` one. */
static void reap(struct server *s) {
  struct signalfd_siginfo info;
  int status;
  pid_t pid;
  while (read(s->sigfd, &info, sizeof info) > 0)
    ;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    size_t i = 0;
    while (i < s->njobs && s->jobs[i].pid != pid)
      i++;
    if (i == s->njobs) {
      reply("- reaped %d %d\n", pid, code);
      continue;
    }
    reply("%s done %d\n", s->jobs[i].id, code);
    s->jobs[i] = s->jobs[--s->njobs];
  }
}

int serve(void) {
  __attribute__((cleanup(cleanup_server_fn))) struct server s = {.sigfd = -1};
  struct berth_error e = {0};
  if (serve_init(&s, &e) < 0) {
    fprintf(stderr, "berth-exec --serve: %s\n", e.msg);
    return 1;
  }
  while (!s.closed || s.njobs > 0) {
    struct pollfd p[2] = {{s.sigfd, POLLIN, 0}, {s.closed ? -1 : STDIN_FILENO, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      fprintf(stderr, "berth-exec --serve: poll: %s\n", strerror(errno));
      return 1;
    }
    if (p[1].revents && (read_input(&s, &e) < 0 || take_requests(&s, &e) < 0)) {
      fprintf(stderr, "berth-exec --serve: %s; accepting no more requests\n", e.msg);
      s.closed = true;
    }
    if (p[0].revents)
      reap(&s);
  }
  return 0;
}
