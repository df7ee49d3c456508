/* The operations: name, the sections they may appear in, their fields, and the function. */
#include <string.h>

#include "berth.h"

#define PRE SEC_PRE
#define PAR SEC_PARENT
#define CHI SEC_CHILD
#define HOOK_FIELDS "name:s path:s arg:* env:* timeout:i state-prefix:s state-suffix:s"

static const struct op_spec ops[] = {
    {"report", PRE, "fd:i", op_report},
    {"cgroup-mkdir", PRE, "path:s", op_cgroup_mkdir},
    {"cgroup-write", PRE, "path:s value:s", op_cgroup_write},
    {"cgroup-open", PRE, "path:s", op_cgroup_open},
    {"console-connect", PRE, "path:s", op_console_connect},
    {"console-pair", PRE, "", op_console_pair},
    {"exec-fifo", PRE, "path:s", op_exec_fifo},
    {"pin-pid", PRE, "pid:i start:s", op_pin_pid},
    {"setns", PRE | CHI, "path:s type:s", op_setns},
    {"clone", PRE, "flags:s cgroup:?", op_clone},
    {"userns-map", PAR, "uid:s gid:s setgroups:s", op_userns_map},
    {"cgroup-join", PAR, "path:s", op_cgroup_join},
    {"sync", PAR | CHI, "", op_sync},
    {"cgroup-enter", CHI, "", op_cgroup_enter},
    {"hook", PAR | CHI, HOOK_FIELDS, op_hook},
    {"pidfile", PAR, "path:s", op_pidfile},
    {"report-pid", PAR, "", op_report_pid},
    {"wait-child", PAR, "", op_wait_child},
    {"become-root", CHI, "", op_become_root},
    {"setsid", CHI, "", op_setsid},
    {"loopback", CHI, "", op_loopback},
    {"hostname", CHI, "value:s", op_hostname},
    {"domainname", CHI, "value:s", op_domainname},
    {"propagate", CHI, "path:s mode:s", op_propagate},
    {"mount", CHI, "root:s dest:s source:s type:s flags:s data:s mkdir:s", op_mount},
    {"remount", CHI, "root:s dest:s flags:s", op_remount},
    {"setattr", CHI, "root:s dest:s flags:s", op_setattr},
    {"mknod", CHI, "root:s dest:s kind:s mode:o major:i minor:i uid:i gid:i", op_mknod},
    {"symlink", CHI, "root:s dest:s target:s", op_symlink},
    {"pivot-root", CHI, "path:s mode:s", op_pivot_root},
    {"mask", CHI, "path:s", op_mask},
    {"readonly", CHI, "path:s", op_readonly},
    {"remount-root-ro", CHI, "", op_remount_root_ro},
    {"sysctl", CHI, "key:s value:s", op_sysctl},
    {"rlimit", CHI, "resource:s soft:r hard:r", op_rlimit},
    {"oom-score-adj", CHI, "value:i", op_oom_score_adj},
    {"umask", CHI, "value:o", op_umask},
    {"chdir", CHI, "path:s", op_chdir},
    {"console-pty", CHI, "rows:i cols:i", op_console_pty},
    {"close-fds", CHI, "keep:i", op_close_fds},
    {"wait-start", CHI, "", op_wait_start},
    {"caps-bounding", CHI, "keep:x", op_caps_bounding},
    {"user", CHI, "uid:i gid:i group:# setgroups:i", op_user},
    {"caps", CHI, "effective:x permitted:x inheritable:x ambient:x", op_caps},
    {"no-new-privs", CHI, "", op_no_new_privs},
    {"seccomp", CHI, "default-action:s default-errno:i arch:* flag:* cache:?", op_seccomp},
    {"seccomp-rule", CHI, "action:s errno:i name:* arg:*", op_seccomp_rule},
    {"seccomp-load", CHI, "", op_seccomp_load},
    {"check-exec", CHI, "arg:* env:*", op_check_exec},
    {"exec", CHI, "arg:* env:*", op_exec},
};

const struct op_spec *op_find(const char *name) {
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (strcmp(ops[i].name, name) == 0)
      return &ops[i];
  return NULL;
}
