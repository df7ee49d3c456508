/* Capabilities and credentials: bounding set, capset (v3), ambient set, user/groups, nnp. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "berth.h"

/* Drops every capability the kernel knows that is not in the hex mask `keep`. */
STEP(op_caps_bounding) {
  (void)c;
  uint64_t keep = field_num(s, "keep", 16);
  for (int cap = 0; cap < 64; cap++) {
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
      break; /* past the last capability */
    if (keep & (1ULL << cap))
      continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
      return berth_fail(e, errno, "drop capability %d from the bounding set", cap);
  }
  return 0;
}

static int set_ambient(uint64_t ambient, struct berth_error *e) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    return berth_fail(e, errno, "clear the ambient capabilities");
  for (int cap = 0; cap < 64; cap++)
    if ((ambient & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      return berth_fail(e, errno, "raise ambient capability %d", cap);
  return 0;
}

STEP(op_caps) {
  (void)c;
  uint64_t eff = field_num(s, "effective", 16), prm = field_num(s, "permitted", 16);
  uint64_t inh = field_num(s, "inheritable", 16);
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {
      {(uint32_t)eff, (uint32_t)prm, (uint32_t)inh},
      {(uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32)},
  };
  if (syscall(SYS_capset, &hdr, data) < 0)
    return berth_fail(e, errno, "capset effective=%s permitted=%s inheritable=%s",
                      field_str(s, "effective"), field_str(s, "permitted"),
                      field_str(s, "inheritable"));
  return set_ambient(field_num(s, "ambient", 16), e);
}

STEP(op_user) {
  (void)c;
  uid_t uid = (uid_t)field_int(s, "uid");
  gid_t gid = (gid_t)field_int(s, "gid");
  size_t n;
  cleanup_free char **list = field_list(s, "group", &n);
  cleanup_free gid_t *groups = calloc(n + 1, sizeof *groups);
  if (list == NULL || groups == NULL)
    return berth_fail(e, ENOMEM, "user");
  for (size_t i = 0; i < n; i++)
    groups[i] = (gid_t)strtoul(list[i], NULL, 10);
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return berth_fail(e, errno, "prctl PR_SET_KEEPCAPS");
  if (field_int(s, "setgroups") && setgroups(n, n ? groups : NULL) < 0)
    return berth_fail(e, errno, "setgroups (%zu groups)", n);
  if (setresgid(gid, gid, gid) < 0)
    return berth_fail(e, errno, "setresgid %u", gid);
  if (setresuid(uid, uid, uid) < 0)
    return berth_fail(e, errno, "setresuid %u", uid);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return berth_fail(e, errno, "prctl PR_SET_KEEPCAPS");
  return 0;
}

STEP(op_no_new_privs) {
  (void)c;
  (void)s;
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? berth_fail(e, errno, "no_new_privs") : 0;
}
