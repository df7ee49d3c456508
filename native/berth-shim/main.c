/* berth-shim --dir DIR --plan PLANFILE [...]: see native/SHIM.md.
 * Start-up (fork, setsid, subreaper, sockets, readiness), the poll loop, and the end. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "shim.h"

static const char usage[] =
    "usage: berth-shim --dir DIR --plan PLANFILE [--exec BERTH_EXEC] [--tty] [--stdin]\n"
    "                  [--log FILE [--log-max-size BYTES] [--log-max-files N]] [--oom FILE]\n"
    "                  [--owner PID]\n";

static int parse_number(const char *text, const char *name, uint64_t *out, struct shim_error *e) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno || !*text || *end || *text == '-')
    return shim_fail(e, 0, "%s: not a number: `%s`", name, text);
  *out = v;
  return 0;
}

static int parse_args(struct opts *o, int argc, char **argv, struct shim_error *e) {
  static const struct option longopts[] = {
      {"dir", 1, 0, 'd'},          {"plan", 1, 0, 'p'},          {"exec", 1, 0, 'x'},
      {"tty", 0, 0, 't'},          {"stdin", 0, 0, 'i'},         {"log", 1, 0, 'l'},
      {"log-max-size", 1, 0, 's'}, {"log-max-files", 1, 0, 'n'}, {"oom", 1, 0, 'o'},
      {"owner", 1, 0, 'w'},        {0, 0, 0, 0}};
  uint64_t files = 1;
  int opt;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (opt) {
    case 'd': o->dir = optarg; break;
    case 'p': o->plan = optarg; break;
    case 'x': o->exec = optarg; break;
    case 't': o->tty = true; break;
    case 'i': o->stdin = true; break;
    case 'l': o->log = optarg; break;
    case 'o': o->oom = optarg; break;
    case 's':
      if (parse_number(optarg, "--log-max-size", &o->log_max_size, e) < 0)
        return -1;
      break;
    case 'n':
      if (parse_number(optarg, "--log-max-files", &files, e) < 0)
        return -1;
      break;
    case 'w': {
      uint64_t owner;
      if (parse_number(optarg, "--owner", &owner, e) < 0)
        return -1;
      if (owner < 1 || owner > INT_MAX)
        return shim_fail(e, 0, "--owner: not a pid: `%s`", optarg);
      o->owner = (pid_t)owner;
      break;
    }
    default:
      return shim_fail(e, 0, "unknown or incomplete option `%s`\n%s", argv[optind - 1], usage);
    }
  }
  if (optind < argc || !o->dir || !o->plan)
    return shim_fail(e, 0, "%s", usage);
  if (files < 1 || files > 1000)
    return shim_fail(e, 0, "--log-max-files: must be 1 to 1000");
  o->log_max_files = (int)files;
  if (!o->exec) { /* berth-exec next to this executable */
    ssize_t n = readlink("/proc/self/exe", o->exec_buf, sizeof o->exec_buf - 16);
    if (n < 0)
      return shim_fail(e, errno, "readlink `/proc/self/exe`");
    o->exec_buf[n] = '\0';
    strcpy(strrchr(o->exec_buf, '/') + 1, "berth-exec");
    o->exec = o->exec_buf;
  }
  if (access(o->plan, R_OK) < 0)
    return shim_fail(e, errno, "plan `%s`", o->plan);
  if (access(o->exec, X_OK) < 0)
    return shim_fail(e, errno, "interpreter `%s`", o->exec);
  return 0;
}

/* shim.pid, written to a temporary file and renamed. */
static int write_pid(const char *path, struct shim_error *e) {
  char tmp[PATH_MAX + 8], text[16];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return shim_fail(e, errno, "open `%s`", tmp);
  int n = snprintf(text, sizeof text, "%d", (int)getpid());
  if (write_all(fd, text, (size_t)n) < 0 || rename(tmp, path) < 0) {
    int err = errno;
    unlink(tmp);
    return shim_fail(e, err, "write `%s`", path);
  }
  return 0;
}

/* Everything that can fail before the shim reports ready; undone on failure. */
static int setup(struct shim *s, struct shim_error *e) {
  const char *dir = s->o.dir;
  if (snprintf(s->sock_path, sizeof s->sock_path, "%s/shim.sock", dir) >= (int)sizeof s->sock_path ||
      snprintf(s->console_path, sizeof s->console_path, "%s/console.sock", dir) >=
          (int)sizeof s->console_path)
    return shim_fail(e, ENAMETOOLONG, "socket paths in `%s`", dir);
  snprintf(s->pid_path, sizeof s->pid_path, "%s/shim.pid", dir);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  if ((s->sig_fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
    return shim_fail(e, errno, "signalfd");
  if ((s->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
    return shim_fail(e, errno, "open `/dev/null`");
  /* --owner: a pidfd (close-on-exec) that turns readable when the owner has exited. Already
   * gone: the shim ends before START comes (it will not). No pidfds (Linux < 5.3): the START
   * wait alone bounds it. */
  if (s->o.owner > 0 && (s->owner_fd = (int)syscall(SYS_pidfd_open, s->o.owner, 0)) < 0) {
    if (errno == ESRCH)
      s->owner_gone = true;
    else if (errno != ENOSYS)
      return shim_fail(e, errno, "pidfd_open %d", (int)s->o.owner);
  }
  if (s->o.stdin && !s->o.tty) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
      return shim_fail(e, errno, "pipe");
    s->in_read = p[0];
    s->in_fd = p[1];
    fcntl(s->in_fd, F_SETFL, O_NONBLOCK);
  }
  if (attach_listen(s, e) < 0)
    return -1;
  if (s->o.tty && console_listen(s, e) < 0)
    goto fail;
  if (write_pid(s->pid_path, e) < 0)
    goto fail;
  if (s->o.log && log_open(&s->log, s->o.log, s->o.log_max_size, s->o.log_max_files, e) < 0) {
    unlink(s->pid_path);
    goto fail;
  }
  return 0;
fail:
  unlink(s->sock_path);
  if (s->console_listen >= 0)
    unlink(s->console_path);
  return -1;
}

enum {
  W_LISTEN, W_CONSOLE_LISTEN, W_CONSOLE, W_SIG, W_REPORT, W_OWNER, W_OUT0, W_OUT1, W_IN, W_CLIENT
};

static bool stdin_blocked(const struct shim *s, const struct client *c) {
  return c->hdr_len == 8 && c->hdr[0] == F_STDIN && s->o.stdin && s->pend_len > 0;
}

static void add(struct pollfd *pfd, int *who, int *n, int fd, short events, int w) {
  if (fd < 0)
    return;
  pfd[*n] = (struct pollfd){.fd = fd, .events = events};
  who[*n] = w;
  (*n)++;
}

/* Output: to every client and to the log; end of file (EIO for a pty) ends the stream.
 * Returns the bytes read, 0 when there are none now or any more. */
static ssize_t read_output(struct shim *s, int i) {
  ssize_t n = read(s->out[i], s->buf, sizeof s->buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (n <= 0) {
    close_fd(&s->out[i]);
    if (i == 0 && s->o.tty)
      close_fd(&s->in_fd);
    log_end(s, i);
    return 0;
  }
  broadcast(s, i == 0 ? F_STDOUT : F_STDERR, s->buf, (size_t)n);
  log_output(s, i, s->buf, (size_t)n);
  return n;
}

/* Clients whose queue is nearly full hold output back (the process blocks on its pipe, as
 * with a slow docker attach) until they catch up, but a client that takes nothing for
 * STALL_MS is dropped. True when output waits; *wake is when to look again. */
static bool output_waits(struct shim *s, int64_t *wake) {
  bool waits = false;
  int64_t now = mono_ms();
  for (int i = 0; i < s->nclients; i++) {
    struct client *c = &s->clients[i];
    if (c->fd < 0 || c->q_len - c->q_off <= QUEUE_HIGH) {
      c->stalled = 0;
      continue;
    }
    if (!c->stalled)
      c->stalled = now;
    if (now - c->stalled >= STALL_MS) {
      client_drop(s, c);
      continue;
    }
    waits = true;
    if (!*wake || c->stalled + STALL_MS < *wake)
      *wake = c->stalled + STALL_MS;
  }
  return waits;
}

/* One poll round; `deadline` (monotonic ms, 0: none) bounds the wait. */
static void poll_once(struct shim *s, int64_t deadline) {
  struct pollfd pfd[W_CLIENT + MAX_CLIENTS];
  int who[W_CLIENT + MAX_CLIENTS], n = 0;
  add(pfd, who, &n, s->listen_fd, POLLIN, W_LISTEN);
  add(pfd, who, &n, s->console_listen, POLLIN, W_CONSOLE_LISTEN);
  add(pfd, who, &n, s->console_conn, POLLIN, W_CONSOLE);
  add(pfd, who, &n, s->sig_fd, POLLIN, W_SIG);
  add(pfd, who, &n, s->report_fd, POLLIN, W_REPORT);
  add(pfd, who, &n, s->owner_fd, POLLIN, W_OWNER);
  if (!output_waits(s, &deadline)) {
    add(pfd, who, &n, s->out[0], POLLIN, W_OUT0);
    add(pfd, who, &n, s->out[1], POLLIN, W_OUT1);
  }
  if (s->pend_len > 0)
    add(pfd, who, &n, s->in_fd, POLLOUT, W_IN);
  for (int i = 0; i < s->nclients; i++) {
    struct client *c = &s->clients[i];
    /* not polled while its stdin waits: a hang-up would be reported on and on */
    short ev = (short)((stdin_blocked(s, c) ? 0 : POLLIN) | (c->q ? POLLOUT : 0));
    if (ev)
      add(pfd, who, &n, c->fd, ev, W_CLIENT + i);
  }
  int timeout = -1;
  if (deadline > 0) {
    int64_t left = deadline - mono_ms();
    timeout = left > 0 ? (int)left : 0;
  }
  if (poll(pfd, (nfds_t)n, timeout) <= 0)
    return;
  for (int k = 0; k < n; k++) {
    if (!pfd[k].revents)
      continue;
    switch (who[k]) {
    case W_LISTEN: client_accept(s); break;
    case W_CONSOLE_LISTEN: console_accept(s); break;
    case W_CONSOLE: console_receive(s); break;
    case W_SIG: reap(s); break;
    case W_REPORT: report_read(s); break;
    case W_OWNER:
      close_fd(&s->owner_fd);
      s->owner_gone = true;
      break;
    case W_OUT0: read_output(s, 0); break;
    case W_OUT1: read_output(s, 1); break;
    case W_IN: stdin_flush(s); break;
    default: {
      struct client *c = &s->clients[who[k] - W_CLIENT];
      if (c->fd != pfd[k].fd)
        break; /* dropped (and maybe replaced) this round */
      if ((pfd[k].revents & POLLOUT) && client_flush(s, c) < 0)
        break;
      if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
        client_read(s, c);
    }
    }
  }
}

/* The process has ended (or set-up failed) and the interpreter is gone. */
static bool ended(const struct shim *s) {
  return s->started && s->interp_done && (s->pid <= 0 || s->exited);
}

/* exit.json, EXIT to every client (also to those still in the backlog), then out. */
static int finish(struct shim *s) {
  char json[CHUNK];
  size_t len;
  for (int i = 0; i < 2; i++) {
    /* what is left in the pipe (bounded: writers the process left may still write) */
    for (int k = 0; k < 64 && s->out[i] >= 0 && read_output(s, i) > 0; k++)
      ;
    close_fd(&s->out[i]);
    log_end(s, i);
  }
  close_fd(&s->in_fd);
  s->pend_off = s->pend_len = 0;
  close_fd(&s->console_conn);
  if (s->console_listen >= 0) {
    close_fd(&s->console_listen);
    unlink(s->console_path);
  }
  close_fd(&s->log.fd);
  write_exit(s, json, sizeof json, &len);
  unlink(s->sock_path);
  client_accept(s);
  close_fd(&s->listen_fd);
  broadcast(s, F_EXIT, json, len);
  int64_t deadline = mono_ms() + DRAIN_MS;
  for (;;) {
    bool queued = false;
    for (int i = 0; i < s->nclients; i++)
      queued |= s->clients[i].fd >= 0 && s->clients[i].q != NULL;
    if (!queued || mono_ms() >= deadline)
      break;
    poll_once(s, deadline);
  }
  for (int i = 0; i < s->nclients; i++)
    if (s->clients[i].fd >= 0)
      client_drop(s, &s->clients[i]);
  unlink(s->pid_path);
  return 0;
}

/* How long to wait for START: berthd sends it within milliseconds of the spawn; a shim that
 * never gets it (berthd died in between) must not wait for ever. */
static int64_t start_wait_ms(void) {
  const char *v = getenv("BERTH_SHIM_START_WAIT_MS");
  long long ms = v && *v ? atoll(v) : 0;
  return ms > 0 ? ms : START_WAIT_MS;
}

static int run(struct shim *s) {
  int64_t drain_until = 0, start_by = mono_ms() + start_wait_ms();
  for (;;) {
    if (!s->started && (s->owner_gone || mono_ms() >= start_by))
      return 0; /* nothing ran: no exit.json; its files are left to berthd (a newer shim may
                   hold the same names by now) */
    if (!drain_until && ended(s))
      drain_until = mono_ms() + DRAIN_MS;
    if (drain_until && ((s->out[0] < 0 && s->out[1] < 0) || mono_ms() >= drain_until))
      return finish(s);
    poll_once(s, s->started ? drain_until : start_by);
  }
}

/* Forks; the child becomes the shim and tells the parent (which exits 0) once shim.sock
 * accepts connections. The parent exits 1 if the child could not get that far. */
int main(int argc, char **argv) {
  static struct shim s;
  struct shim_error e = {0};
  int ready[2];
  if (parse_args(&s.o, argc, argv, &e) < 0) {
    fprintf(stderr, "berth-shim: %s\n", e.msg);
    return 1;
  }
  if (pipe2(ready, O_CLOEXEC) < 0) {
    perror("berth-shim: pipe");
    return 1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("berth-shim: fork");
    return 1;
  }
  if (pid > 0) {
    char b;
    close(ready[1]);
    ssize_t n;
    while ((n = read(ready[0], &b, 1)) < 0 && errno == EINTR)
      ;
    if (n == 1)
      return 0;
    waitpid(pid, NULL, 0);
    return 1;
  }
  close(ready[0]);
  s.listen_fd = s.sig_fd = s.null_fd = s.console_listen = s.console_conn = -1;
  s.report_fd = s.out[0] = s.out[1] = s.in_fd = s.in_read = s.log.fd = s.owner_fd = -1;
  setsid();
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  if (setup(&s, &e) < 0) {
    fprintf(stderr, "berth-shim: %s\n", e.msg);
    _exit(1);
  }
  for (int fd = 0; fd < 3; fd++)
    dup2(s.null_fd, fd);
  (void)write_all(ready[1], "1", 1);
  close(ready[1]);
  return run(&s);
}
