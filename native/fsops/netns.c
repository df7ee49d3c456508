/* A container's network endpoint in one call, without a process: a thread of libuv's pool enters
 * the container's network namespace (making it first, kept by a bind mount, when asked), makes a
 * veth pair there with the host end sent to the process's namespace, configures the inside end
 * (address, MAC, MTU, default route, loopback up) through rtnetlink, comes back, and puts the
 * host end on the bridge (hairpin on, up). A network namespace is per thread: only that thread
 * moves, and it always comes back (if it could not, the process aborts rather than run on in the
 * wrong namespace). Spawning `ip` for this cost berthd ~15 ms per container start; done on the
 * event loop's thread it held berthd ~2.5 ms, which now goes on with the container's start. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fsops.h"

/* A request: the header at the start of a buffer it grows into. */
struct req {
  union {
    struct nlmsghdr n;
    char buf[2048];
  };
};

static struct rtattr *attr(struct req *r, unsigned short type, const void *data, size_t len) {
  struct nlmsghdr *n = &r->n;
  struct rtattr *a = (struct rtattr *)(r->buf + NLMSG_ALIGN(n->nlmsg_len));
  a->rta_type = type;
  a->rta_len = (unsigned short)RTA_LENGTH(len);
  if (len)
    memcpy(RTA_DATA(a), data, len);
  n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(a->rta_len);
  return a;
}

static void nest_end(struct req *r, struct rtattr *nest) {
  nest->rta_len = (unsigned short)(r->buf + r->n.nlmsg_len - (char *)nest);
}

/* Sends one request and reads its acknowledgement: 0 or an errno value. */
static int talk(int fd, struct nlmsghdr *n) {
  static unsigned seq; /* threads of the pool may talk at once */
  n->nlmsg_seq = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
  n->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  if (send(fd, n, n->nlmsg_len, 0) < 0)
    return errno;
  char buf[4096];
  for (;;) {
    ssize_t got = recv(fd, buf, sizeof buf, 0);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)got); h = NLMSG_NEXT(h, got)) {
      if (h->nlmsg_seq != n->nlmsg_seq || h->nlmsg_type != NLMSG_ERROR)
        continue;
      return -((struct nlmsgerr *)NLMSG_DATA(h))->error;
    }
  }
}

static void link_msg(struct req *r, unsigned short type, unsigned short flags, int index, unsigned up) {
  memset(r, 0, sizeof *r);
  r->n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  r->n.nlmsg_type = type;
  r->n.nlmsg_flags = flags;
  struct ifinfomsg *i = NLMSG_DATA(&r->n);
  i->ifi_family = AF_UNSPEC;
  i->ifi_index = index;
  i->ifi_flags = up ? IFF_UP : 0;
  i->ifi_change = up ? IFF_UP : 0;
}

static int set_up(int fd, int index) {
  struct req r;
  link_msg(&r, RTM_NEWLINK, 0, index, 1);
  return talk(fd, &r.n);
}

static int parse_mac(const char *s, unsigned char mac[6]) {
  return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) ==
                 6
             ? 0
             : EINVAL;
}

/* "10.0.0.2/24" → family, address bytes, prefix length. */
static int parse_cidr(const char *text, int *family, unsigned char addr[16], int *bits) {
  char ip[64];
  const char *slash = strchr(text, '/');
  size_t len = slash ? (size_t)(slash - text) : strlen(text);
  if (len >= sizeof ip)
    return EINVAL;
  memcpy(ip, text, len);
  ip[len] = 0;
  *family = strchr(ip, ':') ? AF_INET6 : AF_INET;
  if (inet_pton(*family, ip, addr) != 1)
    return EINVAL;
  *bits = slash ? atoi(slash + 1) : (*family == AF_INET ? 32 : 128);
  return 0;
}

struct endpoint {
  const char *ns, *ifname, *host_if, *mac, *bridge;
  char *addrs, *gws; /* space-separated */
  int create, mtu;
};

/* The inside half, run in the container's namespace: the pair, loopback, addresses, routes. */
static int inside(const struct endpoint *e, int host_ns, const char **step) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return *step = "socket", errno;
  struct req r;
  int err;
  unsigned char mac[6];
  if ((err = parse_mac(e->mac, mac)))
    return *step = "MAC address", close(fd), err;
  link_msg(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, 0);
  uint32_t mtu = (uint32_t)e->mtu;
  attr(&r, IFLA_IFNAME, e->ifname, strlen(e->ifname) + 1);
  attr(&r, IFLA_MTU, &mtu, sizeof mtu);
  attr(&r, IFLA_ADDRESS, mac, sizeof mac);
  struct rtattr *linkinfo = attr(&r, IFLA_LINKINFO | NLA_F_NESTED, NULL, 0);
  attr(&r, IFLA_INFO_KIND, "veth", 4);
  struct rtattr *data = attr(&r, IFLA_INFO_DATA | NLA_F_NESTED, NULL, 0);
  struct rtattr *peer = attr(&r, VETH_INFO_PEER | NLA_F_NESTED, NULL, 0);
  struct ifinfomsg peer_info = {.ifi_family = AF_UNSPEC};
  memcpy(r.buf + r.n.nlmsg_len, &peer_info, sizeof peer_info);
  r.n.nlmsg_len += NLMSG_ALIGN(sizeof peer_info);
  attr(&r, IFLA_IFNAME, e->host_if, strlen(e->host_if) + 1);
  attr(&r, IFLA_MTU, &mtu, sizeof mtu);
  uint32_t nsfd = (uint32_t)host_ns;
  attr(&r, IFLA_NET_NS_FD, &nsfd, sizeof nsfd);
  nest_end(&r, peer);
  nest_end(&r, data);
  nest_end(&r, linkinfo);
  if ((err = talk(fd, &r.n)))
    return *step = "veth pair", close(fd), err;
  if ((err = set_up(fd, 1))) /* lo is 1 in every namespace */
    return *step = "loopback up", close(fd), err;
  int index = (int)if_nametoindex(e->ifname);
  if (index == 0)
    return *step = "interface index", close(fd), errno;
  for (char *save = NULL, *a = strtok_r(e->addrs, " ", &save); a; a = strtok_r(NULL, " ", &save)) {
    int family, bits;
    unsigned char ip[16];
    if ((err = parse_cidr(a, &family, ip, &bits)))
      return *step = "address", close(fd), err;
    memset(&r, 0, sizeof r);
    r.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
    r.n.nlmsg_type = RTM_NEWADDR;
    r.n.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    struct ifaddrmsg *ia = NLMSG_DATA(&r.n);
    ia->ifa_family = (unsigned char)family;
    ia->ifa_prefixlen = (unsigned char)bits;
    ia->ifa_index = (unsigned)index;
    /* usable at once: no duplicate address detection (as dockerd) */
    ia->ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0;
    size_t len = family == AF_INET ? 4 : 16;
    attr(&r, IFA_LOCAL, ip, len);
    attr(&r, IFA_ADDRESS, ip, len);
    if ((err = talk(fd, &r.n)))
      return *step = "address", close(fd), err;
  }
  if ((err = set_up(fd, index)))
    return *step = "interface up", close(fd), err;
  for (char *save = NULL, *g = strtok_r(e->gws, " ", &save); g; g = strtok_r(NULL, " ", &save)) {
    int family, bits;
    unsigned char ip[16];
    if ((err = parse_cidr(g, &family, ip, &bits)))
      return *step = "gateway", close(fd), err;
    memset(&r, 0, sizeof r);
    r.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
    r.n.nlmsg_type = RTM_NEWROUTE;
    r.n.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
    struct rtmsg *rt = NLMSG_DATA(&r.n);
    rt->rtm_family = (unsigned char)family;
    rt->rtm_table = RT_TABLE_MAIN;
    rt->rtm_protocol = RTPROT_BOOT;
    rt->rtm_scope = RT_SCOPE_UNIVERSE;
    rt->rtm_type = RTN_UNICAST;
    rt->rtm_flags = RTNH_F_ONLINK; /* the peer may not be up yet */
    attr(&r, RTA_GATEWAY, ip, family == AF_INET ? 4 : 16);
    uint32_t oif = (uint32_t)index;
    attr(&r, RTA_OIF, &oif, sizeof oif);
    if ((err = talk(fd, &r.n)))
      return *step = "default route", close(fd), err;
  }
  close(fd);
  return 0;
}

/* The host half: the host end on the bridge, hairpin on, up. */
static int outside(const struct endpoint *e, const char **step) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return *step = "socket", errno;
  int index = (int)if_nametoindex(e->host_if), bridge = (int)if_nametoindex(e->bridge), err;
  if (index == 0 || bridge == 0)
    return *step = "interface index", close(fd), ENODEV;
  struct req r;
  link_msg(&r, RTM_NEWLINK, 0, index, 0);
  uint32_t master = (uint32_t)bridge;
  attr(&r, IFLA_MASTER, &master, sizeof master);
  if ((err = talk(fd, &r.n)))
    return *step = "bridge port", close(fd), err;
  char path[128];
  snprintf(path, sizeof path, "/sys/class/net/%s/brport/hairpin_mode", e->host_if);
  int hp = open(path, O_WRONLY | O_CLOEXEC);
  if (hp < 0 || write(hp, "1", 1) != 1) {
    err = errno;
    if (hp >= 0)
      close(hp);
    return *step = "hairpin mode", close(fd), err;
  }
  close(hp);
  if ((err = set_up(fd, index)))
    return *step = "host end up", close(fd), err;
  close(fd);
  return 0;
}

/* One netEndpoint call: its arguments, and what the pool's thread found. */
struct endpoint_work {
  napi_async_work work;
  napi_deferred deferred;
  char *ns, *ifname, *host_if, *mac, *bridge, *addrs, *gws;
  int create, mtu;
  int err;
  const char *step;
};

static void endpoint_work_free(struct endpoint_work *w) {
  char *strs[] = {w->ns, w->ifname, w->host_if, w->mac, w->bridge, w->addrs, w->gws};
  for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
    free(strs[i]);
  free(w);
}

/* On a thread of the pool: into the namespace, the inside end, back, the outside end. */
static void endpoint_execute(napi_env env, void *p) {
  (void)env;
  struct endpoint_work *w = p;
  struct endpoint e = {w->ns, w->ifname, w->host_if, w->mac, w->bridge, w->addrs, w->gws, w->create, w->mtu};
  int host_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (host_ns < 0) {
    w->err = errno, w->step = "open /proc/thread-self/ns/net";
    return;
  }
  if (w->create) {
    if (unshare(CLONE_NEWNET) < 0)
      w->err = errno, w->step = "unshare";
    else if (mount("/proc/thread-self/ns/net", w->ns, NULL, MS_BIND, NULL) < 0)
      w->err = errno, w->step = "bind mount";
  } else {
    int fd = open(w->ns, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
      w->err = errno, w->step = "setns";
    if (fd >= 0)
      close(fd);
  }
  if (w->err == 0)
    w->err = inside(&e, host_ns, &w->step);
  if (setns(host_ns, CLONE_NEWNET) < 0) {
    fprintf(stderr, "berth fsops: cannot return to the host's network namespace: %s\n", strerror(errno));
    abort();
  }
  close(host_ns);
  if (w->err == 0)
    w->err = outside(&e, &w->step);
}

static void endpoint_complete(napi_env env, napi_status status, void *p) {
  struct endpoint_work *w = p;
  if (status != 0 && w->err == 0)
    w->err = ECANCELED, w->step = "not run";
  if (w->err) {
    char what[256];
    snprintf(what, sizeof what, "%s (%s)", w->ns, w->step);
    napi_reject_deferred(env, w->deferred, errno_error(env, w->err, "network endpoint", what));
  } else {
    napi_resolve_deferred(env, w->deferred, undefined(env));
  }
  napi_delete_async_work(env, w->work);
  endpoint_work_free(w);
}

/* netEndpoint(ns, create, ifname, hostIf, mac, mtu, bridge, addrs, gateways) -> Promise, settled
 * once the work is done on the threadpool: addrs and gateways space-separated (CIDRs; bare
 * addresses). With create, `ns` must exist as a file. */
napi_value fs_net_endpoint(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  int64_t create, mtu;
  if (args_get(env, info, argv, 9) < 0)
    return NULL;
  struct endpoint_work *w = calloc(1, sizeof *w);
  if (w == NULL)
    return throw_errno(env, ENOMEM, "netEndpoint", NULL);
  if ((w->ns = arg_str(env, argv[0], "ns")) == NULL || arg_int(env, argv[1], "create", &create) < 0 ||
      (w->ifname = arg_str(env, argv[2], "ifname")) == NULL ||
      (w->host_if = arg_str(env, argv[3], "hostIf")) == NULL ||
      (w->mac = arg_str(env, argv[4], "mac")) == NULL || arg_int(env, argv[5], "mtu", &mtu) < 0 ||
      (w->bridge = arg_str(env, argv[6], "bridge")) == NULL ||
      (w->addrs = arg_str(env, argv[7], "addrs")) == NULL ||
      (w->gws = arg_str(env, argv[8], "gateways")) == NULL) {
    endpoint_work_free(w);
    return NULL;
  }
  w->create = (int)create;
  w->mtu = (int)mtu;
  napi_value promise = queue_job(env, "netEndpoint", endpoint_execute, endpoint_complete, w, &w->work, &w->deferred);
  if (promise == NULL)
    endpoint_work_free(w);
  return promise;
}
