/* berth-warm NODE WORKER CACHE MAIN ARGS...: runs `NODE CACHE MAIN ARGS...` through a warm worker
 * when one takes the request, else execs it cold. Nothing fails visibly before the worker has
 * confirmed: every error up to then only means a cold start. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>

#include "warm.h"

extern char **environ;

/* The worker's pidfd (or pid) for the signal handlers: the one piece of state they need. */
static volatile sig_atomic_t worker_pidfd = -1, worker_pid = 0;

static void send_signal(int sig) {
  if (worker_pidfd < 0 || syscall(SYS_pidfd_send_signal, worker_pidfd, sig, NULL, 0) < 0) kill(worker_pid, sig);
}

static void forward(int sig) {
  int saved = errno;
  if (sig == SIGTSTP) { /* the worker's process group is orphaned: SIGTSTP would be discarded */
    send_signal(SIGSTOP);
    signal(SIGTSTP, SIG_DFL);
    raise(SIGTSTP);
    signal(SIGTSTP, forward);
  } else
    send_signal(sig);
  errno = saved;
}

/* BERTH_CLI_WARM_DEBUG=1: one line on stderr saying which way the command ran, and why. */
static void note(const char *what, const char *why) {
  const char *d = getenv("BERTH_CLI_WARM_DEBUG");
  if (d && *d && strcmp(d, "0") != 0) fprintf(stderr, "berth-warm: %s: %s\n", what, why);
}

static void cold(int argc, char **argv) {
  /* NODE CACHE MAIN ARGS...: drop WORKER */
  argv[2] = argv[1];
  execv(argv[2], argv + 2);
  fprintf(stderr, "berth: exec `%s`: %s\n", argv[2], strerror(errno));
  (void)argc;
  exit(127);
}

/* A request the worker can take: stdio open, not a background job on a terminal, no Node
 * options the running worker cannot have, no fds handed to the command. Other fds the caller
 * left open (a shell's, a test runner's) are not the command's: runc passes nothing beyond
 * stdio to a container without `--preserve-fds` or `LISTEN_FDS`, and the docker CLI none. */
static int eligible(int argc, char **argv) {
  const char *w = getenv("BERTH_CLI_WARM");
  if (w && strcmp(w, "0") == 0) return 0;
  const char *opts = getenv("NODE_OPTIONS"), *chan = getenv("NODE_CHANNEL_FD");
  if ((opts && *opts) || (chan && *chan)) return 0;
  const char *listen = getenv("LISTEN_FDS");
  if (listen && *listen) return 0;
  for (int i = 5; i < argc; i++)
    if (strncmp(argv[i], "--preserve-fds", 14) == 0) return 0;
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0) return 0;
  if (isatty(0) && tcgetpgrp(0) != getpgrp()) return 0;
  return 1;
}

/* The request: magic, length, then NUL-terminated identity, cwd, umask, argc, args, environ. */
static char *build_request(const struct warm_paths *p, int argc, char **argv, size_t *len) {
  char cwd[4096], num[2][32];
  if (!getcwd(cwd, sizeof cwd)) return NULL;
  mode_t mask = umask(0);
  umask(mask);
  snprintf(num[0], sizeof num[0], "%o", mask);
  snprintf(num[1], sizeof num[1], "%d", argc - 5);
  const char *head[] = {p->identity, cwd, num[0], num[1]};
  size_t total = 8;
  for (size_t i = 0; i < 4; i++) total += strlen(head[i]) + 1;
  for (int i = 5; i < argc; i++) total += strlen(argv[i]) + 1;
  for (char **e = environ; *e; e++) total += strlen(*e) + 1;
  char *buf = malloc(total), *w = buf + 8;
  if (!buf) return NULL;
  uint32_t hdr[2] = {REQUEST_MAGIC, (uint32_t)(total - 8)};
  memcpy(buf, hdr, 8);
#define PUT(s) (w = stpcpy(w, s) + 1)
  for (size_t i = 0; i < 4; i++) PUT(head[i]);
  for (int i = 5; i < argc; i++) PUT(argv[i]);
  for (char **e = environ; *e; e++) PUT(*e);
  *len = total;
  return buf;
}

/* Connects and sends the request with fds 0, 1, 2; the socket, or -1 (errno set). */
static int send_request(const struct warm_paths *p, const char *req, size_t len) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  memcpy(addr.sun_path, p->sock, strlen(p->sock) + 1); /* warm_paths keeps it short */
  /* a worker still loading takes the request from its backlog; one that never answers is
   * given up after this long (then it runs cold: at worst a second late) */
  struct timeval tv = {.tv_sec = 1};
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0)
    goto fail;
  int fds[3] = {0, 1, 2};
  char control[CMSG_SPACE(sizeof fds)] = {0};
  struct iovec iov = {.iov_base = (void *)req, .iov_len = 8};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof fds);
  memcpy(CMSG_DATA(c), fds, sizeof fds);
  if (sendmsg(fd, &msg, MSG_NOSIGNAL) != 8 || write_all(fd, req + 8, len - 8) < 0) goto fail;
  return fd;
fail:;
  int saved = errno;
  close(fd);
  errno = saved;
  return -1;
}

static void install_forwarding(void) {
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGUSR1, SIGUSR2, SIGTSTP, SIGCONT};
  struct sigaction sa = {.sa_handler = forward, .sa_flags = SA_RESTART};
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);
}

/* Ends this process the way the worker ended. */
static void finish(char type, int32_t value) {
  if (type == MSG_EXIT) exit(value & 0xff);
  struct rlimit none = {0, 0};
  setrlimit(RLIMIT_CORE, &none); /* the front-end's own core is of no use */
  signal(value, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, value);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  raise(value);
  exit(128 + value);
}

int main(int argc, char **argv) {
  /* what a worker's warm-up spawns (warm-up.ts): it exits at once */
  if (argc == 2 && strcmp(argv[1], "--noop") == 0) return 0;
  if (argc >= 2 && strcmp(argv[1], "--serve") == 0) {
    if (argc != 7) return 2;
    struct tool t = {argv[2], argv[3], argv[4], argv[5]};
    return serve(&t, strcmp(argv[6], "-") == 0 ? -1 : atoi(argv[6])) < 0 ? 1 : 0;
  }
  if (argc < 5) {
    fprintf(stderr, "usage: berth-warm NODE WORKER CACHE MAIN [ARG...]\n");
    return 2;
  }
  /* absolute paths: the worker runs in the client's cwd, and they name the socket */
  char abs[4][PATH_MAX];
  for (int i = 0; i < 4; i++)
    if (!realpath(argv[1 + i], abs[i])) note("cold", "no such file"), cold(argc, argv);
  struct tool t = {abs[0], abs[1], abs[2], abs[3]};
  struct warm_paths p;
  struct warm_error e;
  if (!eligible(argc, argv)) note("cold", "not eligible (BERTH_CLI_WARM=0, NODE_OPTIONS, --preserve-fds or LISTEN_FDS, closed stdio or a background job)"), cold(argc, argv);
  if (warm_paths(&t, &p, &e) < 0) note("cold", e.msg), cold(argc, argv);
  size_t len;
  cleanup_free char *req = build_request(&p, argc, argv, &len);
  if (!req) cold(argc, argv);
  int fd = send_request(&p, req, len);
  if (fd < 0) {
    note("cold", strerror(errno));
    if (errno == ENOENT || errno == ECONNREFUSED) spawn_supervisor(&t, &p, 0);
    cold(argc, argv);
  }
  char type;
  int32_t value;
  int r = read_msg(fd, &type, &value);
  if (r <= 0 || type != MSG_READY) {
    /* refused (stale files, another context) or gone: that worker exits; start a fresh one */
    close(fd);
    note("cold", r > 0 && type == MSG_REFUSE ? "refused" : r == 0 ? "worker closed the connection" : strerror(errno));
    if (r > 0 && type == MSG_REFUSE) spawn_supervisor(&t, &p, SPAWN_FORCE);
    cold(argc, argv);
  }
  worker_pid = value;
  char pidstr[16];
  snprintf(pidstr, sizeof pidstr, "%d", (int)value);
  note("warm", pidstr);
  worker_pidfd = (int)syscall(SYS_pidfd_open, (pid_t)value, 0);
  install_forwarding();
  if (write_msg(fd, MSG_GO, 0) < 0) {
    close(fd);
    cold(argc, argv);
  }
  /* committed: from here the worker runs the command and the supervisor reports its end */
  struct timeval none = {0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  while ((r = read_msg(fd, &type, &value)) < 0 && errno == EINTR)
    ;
  if (r > 0 && (type == MSG_EXIT || type == MSG_SIGNAL)) finish(type, value);
  fprintf(stderr, "berth: the warm worker (pid %d) ended without an exit status%s%s\n", (int)worker_pid,
          r < 0 ? ": " : "", r < 0 ? strerror(errno) : "");
  return 1;
}
