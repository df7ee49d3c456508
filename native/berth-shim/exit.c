/* How the process ended: exit.json (written atomically) and the OOM count. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "shim.h"

/* N of the `oom_kill N` line of a cgroup file (v1 memory.oom_control, v2 memory.events). */
uint64_t oom_count(const char *path) {
  char text[1024];
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, text, sizeof text - 1);
  if (n <= 0)
    return 0;
  text[n] = '\0';
  for (char *line = text; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
    if (strncmp(line, "oom_kill ", 9) == 0)
      return strtoull(line + 9, NULL, 10);
  return 0;
}

static int status_code(int status) {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* Set-up failed: the interpreter's status, or what a shell returns when `exec` or
 * `check-exec` failed (127 not found, 126 not executable); the decoded message. */
static int failure_code(struct shim *s, char *msg, size_t cap) {
  char op[32] = "";
  int step = 0, err = 0, off = 0;
  msg[0] = '\0';
  if (sscanf(s->err_line, "error %d %31s %d %n", &step, op, &err, &off) >= 3 && off > 0)
    percent_decode(s->err_line + off, msg, cap);
  int code = status_code(s->interp_status);
  if (strcmp(op, "exec") == 0 || strcmp(op, "check-exec") == 0)
    code = err == ENOENT || err == ENOTDIR ? 127 : 126;
  return code == 0 ? 1 : code;
}

/* A temp file renamed over exit.json: whole or absent for any reader, whatever gets killed.
 * Not fsynced: it lives under the exec root (/run, a tmpfs on most hosts), and after a machine
 * crash there is no container whose exit it could tell; on a disk each fsync costs ms. */
static int write_file_atomically(const char *dir, const char *json, size_t len) {
  char tmp[PATH_MAX], path[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s/exit.json.tmp", dir);
  snprintf(path, sizeof path, "%s/exit.json", dir);
  cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return -1;
  if (write_all(fd, json, len) < 0 || rename(tmp, path) < 0) {
    unlink(tmp);
    return -1;
  }
  return 0;
}

/* Writes exit.json and leaves its content in `json` (for the EXIT frame). */
void write_exit(struct shim *s, char *json, size_t cap, size_t *len) {
  char msg[4096] = "", started[32], finished[32], head[256];
  int code, sig = 0;
  pid_t pid = s->pid > 0 && s->exited ? s->pid : 0;
  if (pid > 0) {
    code = status_code(s->status);
    sig = WIFSIGNALED(s->status) ? WTERMSIG(s->status) : 0;
  } else {
    code = failure_code(s, msg, sizeof msg);
  }
  bool oom = s->o.oom && oom_count(s->o.oom) > s->oom_base;
  format_time(&s->started_at, started);
  format_time(&s->finished_at, finished);
  struct sink out = {.buf = json, .cap = cap, .fd = -1};
  int n = snprintf(head, sizeof head,
                   "{\"pid\":%d,\"exitCode\":%d,\"signal\":%d,\"oomKilled\":%s,\"startedAt\":\"%s\","
                   "\"finishedAt\":\"%s\",\"error\":\"",
                   (int)pid, code, sig, oom ? "true" : "false", started, finished);
  sink_put(&out, head, (size_t)n);
  json_escape(&out, msg, strlen(msg));
  sink_put(&out, "\"}", 2);
  *len = out.len;
  (void)write_file_atomically(s->o.dir, json, out.len);
}
