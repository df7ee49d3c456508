/* Collecting signals (all but the synchronous ones stay blocked and are taken with
 * sigtimedwait), forwarding them to the child, and reaping. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "init.h"

/* Faults are this process's own; SIGTTIN/SIGTTOU are ignored so that a background init never
 * stops on its terminal (its child is the foreground process group). */
static const int own_signals[] = {SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS, SIGTTIN, SIGTTOU};

int configure_signals(struct sigconf *sc) {
  sigfillset(&sc->collect);
  for (size_t i = 0; i < sizeof own_signals / sizeof own_signals[0]; i++)
    sigdelset(&sc->collect, own_signals[i]);
  if (sigprocmask(SIG_SETMASK, &sc->collect, &sc->saved_mask) < 0) {
    perror("berth-init: sigprocmask");
    return -1;
  }
  struct sigaction ign = {.sa_handler = SIG_IGN};
  sigemptyset(&ign.sa_mask);
  if (sigaction(SIGTTIN, &ign, &sc->saved_ttin) < 0 || sigaction(SIGTTOU, &ign, &sc->saved_ttou) < 0) {
    perror("berth-init: sigaction SIGTTIN/SIGTTOU");
    return -1;
  }
  return 0;
}

int restore_signals(const struct sigconf *sc) {
  if (sigprocmask(SIG_SETMASK, &sc->saved_mask, NULL) < 0) {
    perror("berth-init: sigprocmask (child)");
    return -1;
  }
  if (sigaction(SIGTTIN, &sc->saved_ttin, NULL) < 0 || sigaction(SIGTTOU, &sc->saved_ttou, NULL) < 0) {
    perror("berth-init: sigaction (child)");
    return -1;
  }
  return 0;
}

int forward_signal(const struct sigconf *sc, const struct init_opts *o, pid_t child) {
  const struct timespec timeout = {.tv_sec = 1};
  siginfo_t info;
  int sig = sigtimedwait(&sc->collect, &info, &timeout);
  if (sig < 0) {
    if (errno == EAGAIN || errno == EINTR)
      return 0;
    perror("berth-init: sigtimedwait");
    return -1;
  }
  if (sig == SIGCHLD)
    return 0;
  if (kill(o->kill_group ? -child : child, sig) < 0 && errno != ESRCH) {
    fprintf(stderr, "berth-init: kill %d %s: %s\n", (int)child, strsignal(sig), strerror(errno));
    return -1;
  }
  return 0;
}

int reap(pid_t child, int *status) {
  for (;;) {
    int ws;
    pid_t pid = waitpid(-1, &ws, WNOHANG);
    if (pid == 0 || (pid < 0 && errno == ECHILD))
      return 0;
    if (pid < 0) {
      if (errno == EINTR)
        continue;
      perror("berth-init: waitpid");
      return -1;
    }
    if (pid != child)
      continue;
    if (WIFEXITED(ws))
      *status = WEXITSTATUS(ws);
    else if (WIFSIGNALED(ws))
      *status = (128 + WTERMSIG(ws)) & 0xff;
  }
}
