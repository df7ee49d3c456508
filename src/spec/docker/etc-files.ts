// The per-container /etc/hostname, /etc/hosts and /etc/resolv.conf that dockerd writes and
// mounts in: pure functions of the container's settings and the host's own files.

import { invalidArgument } from '../../common/errors.ts';
import type { HostConfig } from './api.ts';
import { parseNetworkMode, validateExtraHost } from './container-validate.ts';

const DEFAULT_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

export function hostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

/**
 * With the host's network: the host's /etc/hosts; otherwise the loopback entries and the
 * container's own name (on its address when it has one, as dockerd writes it). `--add-host`
 * entries either way (`host-gateway` is the default bridge's gateway), and the containers
 * `--link` names.
 */
export function hostsFile(o: {
  hostname: string;
  domainname?: string;
  hostConfig: HostConfig;
  /** the host's /etc/hosts, when it could be read */
  hostHosts?: string;
  /** the container's address on its first network */
  address?: string;
  /** what `host-gateway` stands for */
  hostGateway?: string;
  /** linked containers: their address and the names they go by */
  links?: { ip: string; names: string[] }[];
}): string {
  const hostNet = parseNetworkMode(o.hostConfig.NetworkMode).kind === 'host';
  let out = hostNet && o.hostHosts !== undefined ? o.hostHosts : `${DEFAULT_HOSTS.join('\n')}\n`;
  for (const extra of o.hostConfig.ExtraHosts ?? []) {
    const { name, ip } = validateExtraHost(extra);
    if (ip === 'host-gateway' && !o.hostGateway)
      throw invalidArgument(`unable to derive the IP value for host-gateway: ${JSON.stringify(extra)}`);
    out += `${ip === 'host-gateway' ? o.hostGateway : ip}\t${name}\n`;
  }
  for (const link of o.links ?? []) out += `${link.ip}\t${link.names.join(' ')}\n`;
  if (!hostNet) {
    const names = `${o.hostname}${o.domainname ? ` ${o.hostname}.${o.domainname}` : ''}`;
    out += `${o.address ?? '127.0.1.1'}\t${names}\n`;
  }
  return out;
}

/**
 * The host's resolv.conf with `--dns`, `--dns-search`, `--dns-option` in place of its own lines;
 * loopback resolvers are dropped unless the container shares the host's network (they would not
 * answer from another namespace), and Google's are the fallback when none is left, as dockerd does.
 */
export function resolvConfFile(hostResolvConf: string, hc: HostConfig, embeddedDns?: string): string {
  const hostNet = parseNetworkMode(hc.NetworkMode).kind === 'host';
  const lines = hostResolvConf.split('\n');
  const words = (key: string) =>
    lines.filter((l) => new RegExp(`^\\s*${key}\\s`).test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  let servers = lines.filter((l) => /^\s*nameserver\s/.test(l)).map((l) => l.trim().split(/\s+/)[1]);
  if (!hostNet) servers = servers.filter((s) => !/^127\.|^::1$/.test(s));
  if (hc.Dns?.length) servers = hc.Dns;
  if (servers.length === 0 && !hostNet) servers = ['8.8.8.8', '8.8.4.4'];
  // on a user-defined network the network's DNS server answers (it forwards the rest)
  if (embeddedDns) servers = [embeddedDns];
  const search = hc.DnsSearch?.length ? hc.DnsSearch : words('search');
  let options = hc.DnsOptions?.length ? hc.DnsOptions : words('options');
  if (embeddedDns && !options.some((o) => o.startsWith('ndots:'))) options = [...options, 'ndots:0'];
  let out = '';
  for (const s of servers) out += `nameserver ${s}\n`;
  if (search.length) out += `search ${search.join(' ')}\n`;
  if (options.length) out += `options ${options.join(' ')}\n`;
  return out;
}
