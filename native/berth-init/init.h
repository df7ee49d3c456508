/* berth-init: the container's PID 1 for `--init` (native/INIT.md), as tini does it: runs one
 * child, forwards signals to it, reaps every zombie, exits as the child did. */
#ifndef BERTH_INIT_H
#define BERTH_INIT_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

struct init_opts {
  bool kill_group; /* -g: forward signals to the child's process group */
  char **argv;     /* the child's program and arguments */
};

/* The signal set the main loop collects and the dispositions to restore in the child. */
struct sigconf {
  sigset_t collect;
  sigset_t saved_mask;
  struct sigaction saved_ttin, saved_ttou;
};

/* signals.c */
int configure_signals(struct sigconf *sc);
int restore_signals(const struct sigconf *sc);
/* Waits up to 1 s for a signal: SIGCHLD is left to reap(), others go to the child. */
int forward_signal(const struct sigconf *sc, const struct init_opts *o, pid_t child);
/* Reaps every exited process; sets *status (0-255) when `child` was one of them. */
int reap(pid_t child, int *status);

/* spawn.c: forks the child in its own process group (the terminal's foreground one). */
pid_t spawn_child(const struct init_opts *o, const struct sigconf *sc);

#endif
