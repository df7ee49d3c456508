// nftables rules of one bridge network, as one `nft -f` script: each network owns a table of
// its own (`inet berth-<bridge>`), replaced whole in one transaction whenever its endpoints or
// published ports change, and deleted with the network. Nothing in any other table is touched.
// Pure: the script is text; src/network/link.ts runs it.

export interface PortRule {
  proto: 'tcp' | 'udp' | 'sctp';
  /** '' or '0.0.0.0' (every IPv4 address of the host), '::' (every IPv6 one), or one address */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

export interface NetworkRules {
  table: string;
  bridge: string;
  /** the network's subnets, CIDR */
  subnets: string[];
  /** no traffic between the bridge and any other interface */
  internal: boolean;
  /** masquerade traffic leaving for other interfaces (com.docker.network.bridge.enable_ip_masquerade) */
  masquerade: boolean;
  ports: PortRule[];
}

export const tableName = (bridge: string) => `berth-${bridge}`;

/**
 * The link group every berth bridge is in: it lets each network's table tell traffic to
 * another berth network (dropped: networks are isolated from each other, as in Docker) from
 * traffic to the rest of the world, without listing the other bridges.
 */
export const BRIDGE_GROUP = 0x62727468;

const isV6 = (addr: string) => addr.includes(':');

function portRule(p: PortRule): string {
  const v6 = isV6(p.containerIp);
  const any = p.hostIp === '' || p.hostIp === '0.0.0.0' || p.hostIp === '::';
  // an unspecified host address matches the family of the container's address
  if (any && isV6(p.hostIp || '0.0.0.0') !== v6) return '';
  const match = any ? `meta nfproto ${v6 ? 'ipv6' : 'ipv4'}` : `${v6 ? 'ip6' : 'ip'} daddr ${p.hostIp}`;
  const to = v6 ? `[${p.containerIp}]:${p.containerPort}` : `${p.containerIp}:${p.containerPort}`;
  return `    ${match} ${p.proto} dport ${p.hostPort} dnat ${v6 ? 'ip6' : 'ip'} to ${to}\n`;
}

/** The script that makes the table exactly `rules` (created, or replaced atomically). */
export function networkScript(rules: NetworkRules): string {
  const t = `inet ${rules.table}`;
  const br = JSON.stringify(rules.bridge);
  let s = `table ${t} {}\ndelete table ${t}\ntable ${t} {\n`;
  s += '  chain ports {\n';
  for (const p of rules.ports) s += portRule(p);
  s += '  }\n';
  // published ports: from outside and from containers (prerouting), and from the host itself,
  // its loopback included (output)
  s += '  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n';
  s += '    fib daddr type local jump ports\n  }\n';
  s += '  chain output {\n    type nat hook output priority -100; policy accept;\n';
  s += '    fib daddr type local jump ports\n  }\n';
  s += '  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n';
  for (const subnet of rules.subnets) {
    const ip = isV6(subnet) ? 'ip6' : 'ip';
    if (rules.masquerade && !rules.internal) s += `    ${ip} saddr ${subnet} oifname != ${br} masquerade\n`;
    // a container reaching a published port of its own network (itself included, with the
    // bridge port in hairpin mode) must get the answers through the host's conntrack
    s += `    oifname ${br} ${ip} saddr ${subnet} ct status dnat masquerade\n`;
  }
  // the host's loopback reaching a container (route_localnet is on for this bridge only)
  s += `    oifname ${br} ip saddr 127.0.0.0/8 masquerade\n`;
  s += '  }\n';
  s += '  chain forward {\n    type filter hook forward priority filter; policy accept;\n';
  if (rules.internal) {
    s += `    iifname ${br} oifname != ${br} drop\n`;
    s += `    oifname ${br} iifname != ${br} drop\n`;
  } else {
    // to another berth network only through a published port
    s += `    iifname ${br} oifname != ${br} oifgroup ${BRIDGE_GROUP} ct status != dnat drop\n`;
  }
  s += '  }\n}\n';
  return s;
}

/** The script that removes a network's table, whether or not it exists. */
export function deleteScript(table: string): string {
  return `table inet ${table} {}\ndelete table inet ${table}\n`;
}
