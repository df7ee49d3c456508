/* The child: its own process group, made the terminal's foreground group (when there is a
 * terminal), the signal mask and dispositions init found restored, then exec. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "init.h"

static int isolate(void) {
  if (setpgid(0, 0) < 0) {
    perror("berth-init: setpgid");
    return -1;
  }
  if (tcsetpgrp(STDIN_FILENO, getpgrp()) < 0 && errno != ENOTTY && errno != ENXIO && errno != EBADF) {
    perror("berth-init: tcsetpgrp");
    return -1;
  }
  return 0;
}

pid_t spawn_child(const struct init_opts *o, const struct sigconf *sc) {
  pid_t pid = fork();
  if (pid < 0) {
    perror("berth-init: fork");
    return -1;
  }
  if (pid > 0)
    return pid;
  if (isolate() < 0 || restore_signals(sc) < 0)
    _exit(1);
  execvp(o->argv[0], o->argv);
  int err = errno;
  fprintf(stderr, "berth-init: exec %s failed: %s\n", o->argv[0], strerror(err));
  _exit(err == ENOENT ? 127 : err == EACCES ? 126 : 1);
}
