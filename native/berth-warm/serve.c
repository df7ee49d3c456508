/* The supervisor: binds the socket before Node starts (a client arriving while the worker loads
 * waits in the backlog), starts the worker with the listener on fd 3 and a channel on fd 4, and
 * when the worker has taken a request reports its wait status to the client, starts the next
 * supervisor, and exits. While no request is taken it holds the tool's lock, so that one worker
 * at most is pending. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "warm.h"

/* The next supervisor starts when the command ends, or after this long if it is still running
 * (`run -it`, `logs -f`), so that a command never shares the CPU with a worker warming up
 * unless it runs long. */
#define SUCCESSOR_AFTER_MS 1000
/* The autogroup nice value of a successor loading beside the command (nice.c) */
#define LOW_AUTOGROUP_NICE 19

static void on_alarm(int sig) { (void)sig; }

static int listen_at(const char *path, struct stat *st, struct warm_error *e) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(e, errno, "socket");
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  char tmp[256];
  snprintf(tmp, sizeof tmp, "%s.%d", path, getpid());
  memcpy(addr.sun_path, tmp, strlen(tmp) + 1); /* warm_paths keeps path under 96 bytes */
  unlink(addr.sun_path);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 64) < 0 ||
      rename(addr.sun_path, path) < 0 || stat(path, st) < 0) {
    fail(e, errno, "listen on `%s`", path);
    unlink(addr.sun_path);
    close(fd);
    return -1;
  }
  return fd;
}

static pid_t start_worker(const struct tool *t, const struct warm_paths *p, int listener, int channel, int lower,
                          struct warm_error *e) {
  pid_t pid = fork();
  if (pid < 0) return fail(e, errno, "fork");
  if (pid == 0) {
    if (dup2(listener, 3) < 0 || dup2(channel, 4) < 0) _exit(127);
    if (lower) lower_nice(); /* inherited by every thread Node starts */
    const char *argv[] = {t->node, t->worker, p->identity, t->cache, t->main, p->sock, NULL};
    execv(t->node, (char **)argv);
    _exit(127);
  }
  return pid;
}

/* Receives the client's connection from the worker: the fd, 0 when the worker exited first.
 * A worker loading at a lowered priority (`nice` >= 0: the one to give back) gets it back as
 * soon as a client waits on the listener. */
static int receive_connection(int channel, int listener, pid_t pid, int nice) {
  struct pollfd fds[2] = {{.fd = channel, .events = POLLIN}, {.fd = listener, .events = POLLIN}};
  for (nfds_t n = nice >= -20 ? 2 : 1; !(fds[0].revents & (POLLIN | POLLHUP | POLLERR));) {
    if (poll(fds, n, -1) < 0 && errno != EINTR) break;
    if (n == 2 && fds[1].revents) {
      restore_nice(pid, nice);
      /* and this session's autogroup, if the predecessor's command still runs (successor_up) */
      if (can_lower_autogroup()) {
        cleanup_close int group = open_autogroup(getpid());
        if (group >= 0) set_autogroup_nice(group, 0);
      }
      n = 1;
    }
  }
  char byte;
  char control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  ssize_t n;
  while ((n = recvmsg(channel, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
    ;
  struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
  if (!c || c->cmsg_type != SCM_RIGHTS) return 0;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

/* Gives a successor that loaded beside the command (its autogroup open as `*group`) the nice
 * value 0 of a new autogroup back, once the command has ended. */
static void successor_up(int *group) {
  if (*group < 0) return;
  set_autogroup_nice(*group, 0);
  close(*group);
  *group = -1;
}

/* Waits for the worker to exit, and reports its exit code as soon as it has sent it (before
 * Node's teardown), else its wait status; kills it if the client goes away first (as the
 * client's own death would have ended a cold start). Starts the successor after
 * SUCCESSOR_AFTER_MS if the command still runs. */
static void wait_worker(const struct tool *t, const struct warm_paths *p, pid_t pid, int channel, int conn,
                        int *started, int *group) {
  struct pollfd fds[2] = {{.fd = channel, .events = POLLIN}, {.fd = conn, .events = POLLRDHUP}};
  int watching = 2;
  for (;;) {
    int r = poll(fds, watching, *started ? -1 : SUCCESSOR_AFTER_MS);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      spawn_supervisor(t, p, 0);
      *started = 1;
      continue;
    }
    if (watching == 2 && (fds[1].revents & (POLLRDHUP | POLLHUP | POLLERR))) {
      kill(pid, SIGKILL);
      watching = 1;
    }
    if (!fds[0].revents) continue;
    char msg[5];
    ssize_t n = recv(channel, msg, sizeof msg, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == sizeof msg && msg[0] == 'X' && watching == 2) {
      int32_t code;
      memcpy(&code, msg + 1, sizeof code);
      /* the successor's socket in place first, so that a command run right after this one
       * waits for it in the backlog instead of starting a Node of its own beside it */
      if (!*started) spawn_supervisor(t, p, SPAWN_WAIT_BOUND);
      *started = 1;
      write_msg(conn, MSG_EXIT, code);
      successor_up(group);
      watching = 1; /* reported: the client may go now */
      continue;
    }
    if (n <= 0) break;
  }
  int status;
  successor_up(group);
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return;
  if (!*started) spawn_supervisor(t, p, SPAWN_WAIT_BOUND);
  *started = 1;
  if (watching == 2)
    write_msg(conn, WIFSIGNALED(status) ? MSG_SIGNAL : MSG_EXIT,
              WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

int serve(const struct tool *t, int notify) {
  struct warm_paths p;
  struct warm_error e;
  signal(SIGPIPE, SIG_IGN);
  if (warm_paths(t, &p, &e) < 0) return -1;
  /* one pending worker per tool: wait briefly for one that is exiting, give up on a live one */
  cleanup_close int lock = open(p.lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  struct sigaction sa = {.sa_handler = on_alarm};
  sigaction(SIGALRM, &sa, NULL);
  alarm(2);
  int locked = lock >= 0 ? flock(lock, LOCK_EX) : -1;
  alarm(0);
  if (locked < 0) return 0;
  struct stat st;
  int listener = listen_at(p.sock, &st, &e);
  if (listener < 0) return -1;
  if (notify >= 0) {
    write_msg(notify, 'B', getpid());
    close(notify);
  }
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) return -1;
  /* a worker started while a command runs loads at the lowest priority, if it can be given
   * its own back (nice.c) */
  int lower = can_restore_nice();
  int nice = lower ? getpriority(PRIO_PROCESS, 0) : -100;
  pid_t pid = start_worker(t, &p, listener, pair[1], lower, &e);
  close(pair[1]);
  if (pid < 0) {
    close(listener);
    return -1;
  }
  cleanup_close int conn = receive_connection(pair[0], listener, pid, nice);
  /* the worker has taken a client (or is gone): clients that come now go to the successor */
  close(listener);
  if (conn <= 0) {
    /* idle timeout, refused request or a worker that died: unless a successor already took
     * the name, remove the socket nobody listens on */
    struct stat now;
    if (stat(p.sock, &now) == 0 && now.st_ino == st.st_ino && now.st_dev == st.st_dev) unlink(p.sock);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
    return 0;
  }
  /* busy: another client may now start a pending worker */
  close(lock);
  lock = -1;
  int started = 0;
  cleanup_close int group = -1;
  /* a successor that loads at the lowest priority can start now, beside the command, so that
   * the next command finds it ready; else it starts when this command ends. The nice value
   * weighs only within its autogroup (its own session): where that can be given back at once,
   * the autogroup is lowered too, until the command ends (successor_up), never longer, as it
   * would then lose the CPU to anything else that runs */
  if (lower) {
    pid_t successor = spawn_supervisor(t, &p, SPAWN_WAIT_BOUND);
    started = 1;
    if (successor > 0 && can_lower_autogroup() && (group = open_autogroup(successor)) >= 0 &&
        set_autogroup_nice(group, LOW_AUTOGROUP_NICE) < 0) {
      close(group);
      group = -1;
    }
  }
  wait_worker(t, &p, pid, pair[0], conn, &started, &group);
  close(conn);
  conn = -1;
  return 0;
}
