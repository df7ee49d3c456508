/* A cache of compiled seccomp filters (libseccomp takes ~10 ms for Docker's default profile).
 * The `seccomp` step's optional `cache` field names a directory (root's, trusted); an entry is
 * <fnv64 of the key>.bpf holding the key, the BPF and its fnv64. The key is the block's steps, field by
 * field (all but `cache`), plus libseccomp's version and API level: an entry is used only when
 * its key is byte-for-byte the same. Reads and writes are best effort: a miss compiles. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "berth.h"

#define MAGIC "berth-seccomp 3\n"
#define MAX_ENTRY (4u << 20)

static uint64_t fnv64(const void *data, size_t len) {
  uint64_t h = 1469598103934665603ULL;
  for (const unsigned char *p = data; len--; p++)
    h = (h ^ *p) * 1099511628211ULL;
  return h;
}

struct key {
  char *text;
  size_t len;
  char path[PATH_MAX];
};

static void key_release(struct key *k) { free(k->text); }

static int append(struct key *k, size_t *cap, const char *s, size_t len) {
  if (k->len + len > *cap) {
    size_t bigger = (*cap + len) * 2;
    char *p = realloc(k->text, bigger);
    if (p == NULL)
      return -1;
    k->text = p;
    *cap = bigger;
  }
  memcpy(k->text + k->len, s, len);
  k->len += len;
  return 0;
}

/* Fills `k` (text and entry path); -1 when there is no cache or no memory. */
static int make_key(const struct step *steps, size_t n, struct key *k) {
  const char *dir = field_str(&steps[0], "cache");
  const struct scmp_version *v = seccomp_version();
  char head[96];
  size_t cap = 0;
  int len = snprintf(head, sizeof head, "libseccomp %u.%u.%u api %u\n", v->major, v->minor,
                     v->micro, seccomp_api_get());
  if (*dir == '\0' || append(k, &cap, head, len) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    if (append(k, &cap, steps[i].op->name, strlen(steps[i].op->name) + 1) < 0)
      return -1;
    for (size_t f = 0; f < steps[i].nfields; f++) {
      const struct field *fl = &steps[i].fields[f];
      if (strcmp(fl->key, "cache") != 0 &&
          (append(k, &cap, fl->key, strlen(fl->key) + 1) < 0 ||
           append(k, &cap, fl->value, strlen(fl->value) + 1) < 0))
        return -1;
    }
  }
  len = snprintf(k->path, sizeof k->path, "%s/%016llx.bpf", dir,
                 (unsigned long long)fnv64(k->text, k->len));
  return len < (int)sizeof k->path ? 0 : -1;
}

/* 0 and `f` filled on a hit, -1 on a miss. */
int seccomp_cache_get(const struct step *steps, size_t n, struct bpf_filter *f) {
  __attribute__((cleanup(key_release))) struct key k = {0};
  struct stat st;
  if (make_key(steps, n, &k) < 0)
    return -1;
  cleanup_close int fd = open(k.path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &st) < 0 || st.st_size > MAX_ENTRY)
    return -1;
  cleanup_free char *buf = malloc(st.st_size + 1);
  size_t hdr = strlen(MAGIC) + sizeof(uint32_t) + k.len + sizeof(uint64_t) + sizeof(uint32_t);
  uint32_t keylen, ninsns;
  uint64_t sum;
  if (buf == NULL || read(fd, buf, st.st_size) != st.st_size || (size_t)st.st_size < hdr ||
      memcmp(buf, MAGIC, strlen(MAGIC)) != 0)
    return -1;
  memcpy(&keylen, buf + strlen(MAGIC), sizeof keylen);
  memcpy(&ninsns, buf + hdr - sizeof ninsns, sizeof ninsns);
  memcpy(&sum, buf + hdr - sizeof ninsns - sizeof sum, sizeof sum);
  if (keylen != k.len || memcmp(buf + strlen(MAGIC) + sizeof keylen, k.text, k.len) != 0 ||
      ninsns == 0 || ninsns > BPF_MAXINSNS ||
      (size_t)st.st_size != hdr + ninsns * sizeof(struct sock_filter) ||
      fnv64(buf + hdr, ninsns * sizeof(struct sock_filter)) != sum)
    return -1;
  f->insns = malloc(ninsns * sizeof(struct sock_filter));
  if (f->insns == NULL)
    return -1;
  memcpy(f->insns, buf + hdr, ninsns * sizeof(struct sock_filter));
  f->len = (unsigned short)ninsns;
  return 0;
}

/* Writes the entry atomically (temporary file, rename); failures are ignored. */
void seccomp_cache_put(const struct step *steps, size_t n, const struct bpf_filter *f) {
  __attribute__((cleanup(key_release))) struct key k = {0};
  char tmp[PATH_MAX + 32];
  if (make_key(steps, n, &k) < 0 ||
      snprintf(tmp, sizeof tmp, "%s.%d.tmp", k.path, (int)getpid()) >= (int)sizeof tmp)
    return;
  mkdir(field_str(&steps[0], "cache"), 0700);
  cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  uint32_t keylen = (uint32_t)k.len, ninsns = f->len;
  uint64_t sum = fnv64(f->insns, ninsns * sizeof(struct sock_filter));
  if (fd < 0)
    return;
  if (write_all(fd, MAGIC, strlen(MAGIC)) < 0 || write_all(fd, &keylen, sizeof keylen) < 0 ||
      write_all(fd, k.text, k.len) < 0 || write_all(fd, &sum, sizeof sum) < 0 ||
      write_all(fd, &ninsns, sizeof ninsns) < 0 ||
      write_all(fd, f->insns, ninsns * sizeof(struct sock_filter)) < 0 || rename(tmp, k.path) < 0)
    unlink(tmp);
}
