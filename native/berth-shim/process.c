/* The process: berth-exec run on START, its report lines, the pty master from the console
 * socket, reaping (the shim is a child subreaper) and window sizes. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "shim.h"

/* Set-up failed: `line` is an `error STEP OP ERRNO MESSAGE` report line, without newline. */
static void setup_failed(struct shim *s, const char *line) {
  if (s->failed)
    return;
  s->failed = true;
  snprintf(s->err_line, sizeof s->err_line, "%s", line);
  broadcast(s, F_ERROR, s->err_line, strlen(s->err_line));
}

/* The same, for failures the interpreter could not report (step 0, op `op`). */
static void setup_failed_as(struct shim *s, const char *op, int err, const char *msg) {
  char encoded[3 * 512 + 1], line[sizeof encoded + 64];
  percent_encode(msg, encoded, sizeof encoded);
  snprintf(line, sizeof line, "error 0 %s %d %s", op, err, encoded);
  setup_failed(s, line);
}

/* In the forked child: stdio and the report pipe on fds 0-3, signals as a new process has
 * them, then berth-exec PLANFILE. If that fails, the report pipe says why. */
static void __attribute__((noreturn)) exec_interpreter(struct shim *s, const int fds[4]) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      signal(sig, SIG_DFL);
  int moved[4];
  for (int i = 0; i < 4; i++)
    moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10);
  for (int i = 0; i < 4; i++)
    dup2(moved[i], i);
  char *argv[] = {(char *)s->o.exec, (char *)s->o.plan, NULL};
  /* its failures reach berthd as ERROR frames: not also on the container's stderr (the log) */
  setenv("BERTH_EXEC_QUIET", "1", 1);
  execv(s->o.exec, argv);
  int err = errno;
  char msg[512], encoded[3 * sizeof msg + 1], line[sizeof encoded + 64];
  snprintf(msg, sizeof msg, "exec `%s`: %s", s->o.exec, strerror(err));
  percent_encode(msg, encoded, sizeof encoded);
  int n = snprintf(line, sizeof line, "error 0 berth-exec %d %s\n", err, encoded);
  (void)write_all(3, line, (size_t)n);
  _exit(1);
}

static int nonblocking(int fd) { return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static int spawn_interpreter(struct shim *s, struct shim_error *e) {
  cleanup_close int rep_r = -1, rep_w = -1, out_r = -1, out_w = -1, err_r = -1, err_w = -1;
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return shim_fail(e, errno, "pipe");
  rep_r = p[0], rep_w = p[1];
  if (!s->o.tty) {
    if (pipe2(p, O_CLOEXEC) < 0)
      return shim_fail(e, errno, "pipe");
    out_r = p[0], out_w = p[1];
    if (pipe2(p, O_CLOEXEC) < 0)
      return shim_fail(e, errno, "pipe");
    err_r = p[0], err_w = p[1];
  }
  int fds[4] = {s->in_read >= 0 ? s->in_read : s->null_fd, s->o.tty ? s->null_fd : out_w,
                s->o.tty ? s->null_fd : err_w, rep_w};
  pid_t pid = fork();
  if (pid < 0)
    return shim_fail(e, errno, "fork");
  if (pid == 0)
    exec_interpreter(s, fds);
  s->interp_pid = pid;
  close_fd(&s->in_read);
  nonblocking(rep_r);
  s->report_fd = take_fd(&rep_r);
  if (!s->o.tty) {
    nonblocking(out_r);
    nonblocking(err_r);
    s->out[0] = take_fd(&out_r);
    s->out[1] = take_fd(&err_r);
  }
  return 0;
}

void start_process(struct shim *s) {
  struct shim_error e;
  s->started = true;
  close_fd(&s->owner_fd); /* the process runs on whatever becomes of its owner */
  clock_gettime(CLOCK_REALTIME, &s->started_at);
  if (s->o.oom)
    s->oom_base = oom_count(s->o.oom);
  if (spawn_interpreter(s, &e) < 0) {
    setup_failed_as(s, "start", e.err, e.msg);
    s->interp_done = true;
    s->interp_status = 1 << 8; /* as if it had exited 1 */
    clock_gettime(CLOCK_REALTIME, &s->finished_at);
  }
}

static void process_exited(struct shim *s, int status) {
  s->exited = true;
  s->status = status;
  clock_gettime(CLOCK_REALTIME, &s->finished_at);
}

static void report_line(struct shim *s, const char *line) {
  if (strncmp(line, "pid ", 4) == 0 && s->pid == 0) {
    s->pid = (pid_t)strtol(line + 4, NULL, 10);
    if (s->pid <= 0)
      return;
    clock_gettime(CLOCK_REALTIME, &s->started_at);
    broadcast(s, F_PID, line + 4, strlen(line + 4));
    for (unsigned i = 0; i < s->nearly; i++)
      if (s->early[i].pid == s->pid)
        process_exited(s, s->early[i].status);
  } else if (strncmp(line, "error ", 6) == 0) {
    setup_failed(s, line);
  }
}

void report_read(struct shim *s) {
  while (s->report_fd >= 0) {
    ssize_t n = read(s->report_fd, s->report + s->report_len, sizeof s->report - 1 - s->report_len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return;
    if (n <= 0) {
      close_fd(&s->report_fd);
      return;
    }
    s->report_len += (size_t)n;
    char *start = s->report, *nl;
    while ((nl = memchr(start, '\n', s->report_len - (size_t)(start - s->report)))) {
      *nl = '\0';
      report_line(s, start);
      start = nl + 1;
    }
    s->report_len -= (size_t)(start - s->report);
    memmove(s->report, start, s->report_len);
    if (s->report_len == sizeof s->report - 1)
      s->report_len = 0; /* no line is that long */
  }
}

static void interpreter_ended(struct shim *s, int status) {
  s->interp_done = true;
  s->interp_status = status;
  report_read(s); /* what it wrote before it exited */
  close_fd(&s->report_fd);
  if (s->pid > 0)
    return;
  clock_gettime(CLOCK_REALTIME, &s->finished_at);
  char msg[128];
  if (WIFSIGNALED(status))
    snprintf(msg, sizeof msg, "berth-exec was killed by signal %d", WTERMSIG(status));
  else
    snprintf(msg, sizeof msg, "berth-exec exited with status %d before it reported a pid",
             WEXITSTATUS(status));
  setup_failed_as(s, "berth-exec", 0, msg);
}

/* SIGCHLD: the interpreter, the process, and orphans the process left (the shim is their
 * subreaper). The report is read first: its `pid` line precedes the process's reparenting. */
void reap(struct shim *s) {
  struct signalfd_siginfo si;
  while (read(s->sig_fd, &si, sizeof si) > 0)
    ;
  report_read(s);
  int status;
  pid_t p;
  while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
    if (p == s->interp_pid) {
      interpreter_ended(s, status);
    } else if (p == s->pid) {
      process_exited(s, status);
    } else if (s->pid == 0 && !s->interp_done && s->nearly < 8) {
      s->early[s->nearly].pid = p;
      s->early[s->nearly++].status = status;
    }
  }
}

void resize(struct shim *s, const char *text, size_t n) {
  char buf[33];
  unsigned rows, cols;
  memcpy(buf, text, n < 32 ? n : 32);
  buf[n < 32 ? n : 32] = '\0';
  if (!s->o.tty || sscanf(buf, "%u %u", &rows, &cols) != 2)
    return;
  s->ws = (struct winsize){.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  s->ws_set = true;
  if (s->out[0] >= 0)
    ioctl(s->out[0], TIOCSWINSZ, &s->ws);
}

void console_accept(struct shim *s) {
  int fd = accept4(s->console_listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0)
    return;
  close_fd(&s->console_conn);
  s->console_conn = fd;
}

/* The pty master, sent by the interpreter's child (console-pty): output, stdin, RESIZE. */
void console_receive(struct shim *s) {
  char name[64];
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = {name, sizeof name};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = sizeof u.buf};
  ssize_t n = recvmsg(s->console_conn, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  struct cmsghdr *cmsg = n >= 0 ? CMSG_FIRSTHDR(&msg) : NULL;
  close_fd(&s->console_conn);
  if (!cmsg || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
    return; /* set-up failed before the pty: the report says why */
  int master;
  memcpy(&master, CMSG_DATA(cmsg), sizeof master);
  nonblocking(master);
  s->out[0] = master;
  if (s->o.stdin)
    s->in_fd = fcntl(master, F_DUPFD_CLOEXEC, 0);
  if (s->ws_set)
    ioctl(master, TIOCSWINSZ, &s->ws);
  close_fd(&s->console_listen);
  unlink(s->console_path);
  stdin_flush(s); /* what clients sent before the pty was there */
}
