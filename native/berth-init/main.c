/* berth-init [-g] [-s] [--] PROGRAM [ARGS...]: see native/INIT.md. */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "init.h"

#define VERSION "0.1.0"

static void usage(FILE *f) {
  fprintf(f, "usage: berth-init [-g] [-s] [--] PROGRAM [ARGS...]\n"
             "  -g  forward signals to the child's process group\n"
             "  -s  register as a child subreaper (done anyway when not PID 1)\n");
}

/* Returns -1 to exit with `*code`, else 0 with o->argv set. */
static int parse_args(int argc, char **argv, struct init_opts *o, int *code) {
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (strcmp(a, "--version") == 0) {
      printf("berth-init version %s\n", VERSION);
      *code = 0;
      return -1;
    }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      *code = 0;
      return -1;
    }
    if (strcmp(a, "-g") == 0)
      o->kill_group = true;
    else if (strcmp(a, "-s") != 0 && strcmp(a, "-v") != 0) {
      fprintf(stderr, "berth-init: unknown option %s\n", a);
      usage(stderr);
      *code = 1;
      return -1;
    }
  }
  if (i >= argc) {
    usage(stderr);
    *code = 1;
    return -1;
  }
  o->argv = argv + i;
  return 0;
}

int main(int argc, char **argv) {
  struct init_opts o = {0};
  int code = 1;
  if (parse_args(argc, argv, &o, &code) < 0)
    return code;
  /* Outside a pid namespace of its own, orphans would go to the real PID 1: adopt them. */
  if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
    perror("berth-init: prctl PR_SET_CHILD_SUBREAPER");
  struct sigconf sc;
  if (configure_signals(&sc) < 0)
    return 1;
  pid_t child = spawn_child(&o, &sc);
  if (child < 0)
    return 1;
  int status = -1;
  while (status < 0) {
    if (forward_signal(&sc, &o, child) < 0 || reap(child, &status) < 0)
      return 1;
  }
  return status;
}
