// Where a registry domain is reached, as Docker decides it: Docker Hub (docker.io) is
// registry-1.docker.io, after any mirrors; a registry is "insecure" when it is on a loopback
// address (127.0.0.0/8, ::1, localhost) or listed in `insecure-registries` (host[:port] or a
// CIDR); secure ones speak HTTPS only, with the CAs of `<certsDir>/<host[:port]>/*.crt` added
// to the system's; insecure ones try HTTPS without verification first, then plain HTTP.
// Pure except for reading certs.d.

import { readdirSync, readFileSync } from 'node:fs';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_DOMAIN } from '../image/reference.ts';

export const DEFAULT_CERTS_DIR = '/etc/berth/certs.d';
/** Docker Hub's registry host. */
export const DOCKER_HUB_HOST = 'registry-1.docker.io';

export interface RegistryHostsConfig {
  insecureRegistries: readonly string[];
  registryMirrors: readonly string[];
  /** Docker's certs.d: per-registry CA certificates (and client certificates). */
  certsDir?: string;
  /** Treat loopback registries as secure (HTTPS, verified): lets tests check certs.d on 127.0.0.1. */
  secureLoopback?: boolean;
}

export interface Endpoint {
  /** `https://host:port` or `http://host:port`, no trailing slash. */
  url: string;
  /** Skip TLS verification (insecure registries over HTTPS). */
  insecureTls: boolean;
  /** Extra CAs from certs.d, PEM. */
  ca?: Buffer[];
  cert?: Buffer;
  key?: Buffer;
  mirror: boolean;
}

/** Whether a registry host (`host[:port]`) counts as insecure. */
export function isInsecure(domain: string, insecure: readonly string[], loopback = true): boolean {
  const host = hostOf(domain);
  if (loopback && (host === 'localhost' || host.endsWith('.localhost'))) return true;
  const ips = new BlockList();
  if (loopback) {
    ips.addSubnet('127.0.0.0', 8, 'ipv4');
    ips.addAddress('::1', 'ipv6');
  }
  for (const entry of insecure) {
    if (entry === domain || entry === host) return true;
    const m = /^(.+)\/(\d+)$/.exec(entry);
    if (m && isIPv4(m[1])) ips.addSubnet(m[1], Number(m[2]), 'ipv4');
    else if (m && isIPv6(m[1])) ips.addSubnet(m[1], Number(m[2]), 'ipv6');
  }
  if (isIPv4(host)) return ips.check(host, 'ipv4');
  if (isIPv6(host)) return ips.check(host, 'ipv6');
  return false;
}

/** `host` of `host:port` or `[v6]:port`. */
function hostOf(domain: string): string {
  const v6 = /^\[([^\]]+)\]/.exec(domain);
  if (v6) return v6[1];
  return domain.replace(/:\d+$/, '');
}

/** certs.d for one registry: `*.crt` are CAs, a `client.cert`/`client.key` pair a client certificate. */
function certsFor(dir: string | undefined, domain: string): Pick<Endpoint, 'ca' | 'cert' | 'key'> {
  if (!dir) return {};
  const d = join(dir, domain);
  let names: string[];
  try {
    names = readdirSync(d);
  } catch {
    return {};
  }
  const ca = names.filter((n) => n.endsWith('.crt')).map((n) => readFileSync(join(d, n)));
  const out: Pick<Endpoint, 'ca' | 'cert' | 'key'> = ca.length ? { ca } : {};
  if (names.includes('client.cert') && names.includes('client.key')) {
    out.cert = readFileSync(join(d, 'client.cert'));
    out.key = readFileSync(join(d, 'client.key'));
  }
  return out;
}

/** The endpoints to try for a domain, in order. */
export function endpointsFor(domain: string, cfg: RegistryHostsConfig): Endpoint[] {
  const certsDir = cfg.certsDir ?? DEFAULT_CERTS_DIR;
  const out: Endpoint[] = [];
  if (domain === DEFAULT_DOMAIN) {
    for (const m of cfg.registryMirrors) {
      const url = new URL(m);
      out.push({
        url: `${url.protocol}//${url.host}`,
        insecureTls: isInsecure(url.host, cfg.insecureRegistries),
        mirror: true,
        ...certsFor(certsDir, url.host),
      });
    }
    out.push({
      url: `https://${DOCKER_HUB_HOST}`,
      insecureTls: false,
      mirror: false,
      ...certsFor(certsDir, domain),
    });
    return out;
  }
  const certs = certsFor(certsDir, domain);
  if (isInsecure(domain, cfg.insecureRegistries, !cfg.secureLoopback)) {
    out.push({ url: `https://${domain}`, insecureTls: true, mirror: false, ...certs });
    out.push({ url: `http://${domain}`, insecureTls: true, mirror: false });
  } else {
    out.push({ url: `https://${domain}`, insecureTls: false, mirror: false, ...certs });
  }
  return out;
}
