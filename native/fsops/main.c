/* The module: registers each function on `exports`. */
#include <string.h>

#include "fsops.h"

static const struct {
  const char *name;
  napi_callback fn;
} FUNCTIONS[] = {
    {"mknod", fs_mknod},           {"lutimens", fs_lutimens},       {"lsetxattr", fs_lsetxattr},
    {"lgetxattr", fs_lgetxattr},   {"llistxattr", fs_llistxattr},   {"lremovexattr", fs_lremovexattr},
    {"mount", fs_mount},           {"umount2", fs_umount2},         {"flock", fs_flock},
    {"netEndpoint", fs_net_endpoint}, {"createFile", fs_create_file},     {"finishFile", fs_finish_file},
    {"addInodeFlags", fs_add_inode_flags}, {"createFiles", fs_create_files},
    {"isMountPoint", fs_is_mount_point},
    {"sha256Init", fs_sha256_init}, {"sha256Update", fs_sha256_update}, {"sha256Final", fs_sha256_final},
    {"gunzipInit", fs_gunzip_init}, {"gunzipRun", fs_gunzip_run}, {"gunzipDigest", fs_gunzip_digest}, {"gunzipEnd", fs_gunzip_end},
    {"warmAccept", fs_warm_accept}, {"warmPending", fs_warm_pending}, {"warmHandOff", fs_warm_hand_off}, {"warmStdio", fs_warm_stdio},
};

__attribute__((visibility("default"))) napi_value napi_register_module_v1(napi_env env,
                                                                          napi_value exports) {
  for (size_t i = 0; i < sizeof FUNCTIONS / sizeof FUNCTIONS[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, FUNCTIONS[i].name, strlen(FUNCTIONS[i].name), FUNCTIONS[i].fn, NULL,
                             &fn) != 0 ||
        napi_set_named_property(env, exports, FUNCTIONS[i].name, fn) != 0)
      return NULL;
  }
  return exports;
}
