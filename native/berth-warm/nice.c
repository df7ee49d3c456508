/* A worker that loads while another command runs does so at the lowest priority, so that it
 * takes only CPU time nobody else wants; it gets its own priority back as soon as a client waits
 * for it (the supervisor sees the listener readable) and, in any case, before it runs a command
 * (the worker resets every thread itself). Only where that reset is allowed: with CAP_SYS_NICE
 * or a RLIMIT_NICE that permits it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "warm.h"

#define LOW_NICE 19

/* Whether this process has `cap` in its effective set. */
static int has_capability(int cap) {
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2] = {{0}};
  return syscall(SYS_capget, &hdr, data) == 0 && (data[cap / 32].effective & (1u << (cap % 32)));
}

int can_restore_nice(void) {
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, 0);
  if (nice == -1 && errno) return 0;
  if (nice >= LOW_NICE) return 0; /* nothing to lower */
  if (has_capability(CAP_SYS_NICE)) return 1;
  struct rlimit rl;
  if (getrlimit(RLIMIT_NICE, &rl) < 0) return 0;
  /* raising to nice N needs RLIMIT_NICE >= 20 - N */
  return rl.rlim_cur == RLIM_INFINITY || (rlim_t)(20 - nice) <= rl.rlim_cur;
}

int lower_nice(void) { return setpriority(PRIO_PROCESS, 0, LOW_NICE); }

/* The nice value of a process weighs only within its scheduler autogroup (one per session where
 * the kernel has sched_autogroup_enabled=1), and a supervisor's worker has an autogroup of its
 * own (setsid): against the command that runs meanwhile, in another autogroup, only the
 * autogroup's own nice value (/proc/PID/autogroup) counts. Changing it is rate-limited to once
 * per 100 ms system-wide, except with CAP_SYS_ADMIN. */
int can_lower_autogroup(void) {
  return has_capability(CAP_SYS_ADMIN) && access("/proc/self/autogroup", W_OK) == 0;
}

int open_autogroup(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/autogroup", (int)pid);
  return open(path, O_WRONLY | O_CLOEXEC);
}

int set_autogroup_nice(int fd, int nice) {
  char value[16];
  int len = snprintf(value, sizeof value, "%d", nice);
  return write(fd, value, (size_t)len) == len ? 0 : -1;
}

int restore_nice(pid_t pid, int nice) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  DIR *d = opendir(path);
  if (!d) return -1;
  int rc = 0;
  struct dirent *de;
  while ((de = readdir(d)))
    if (de->d_name[0] != '.' && setpriority(PRIO_PROCESS, (id_t)atoi(de->d_name), nice) < 0 && errno != ESRCH)
      rc = -1;
  closedir(d);
  return rc;
}
