// Host ports for published container ports: checked against the other containers' bindings and
// against the host's sockets (a test bind), random ones from the kernel's ephemeral range.

import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { conflict } from '../../common/errors.ts';
import type { PortRequest } from '../../spec/docker/network.ts';

export interface Binding {
  proto: PortRequest['proto'];
  hostIp: string;
  hostPort: number;
}

const anyAddress = (ip: string) => ip === '' || ip === '0.0.0.0' || ip === '::';

/** Two bindings that cannot both hold: same protocol and port, and addresses that meet. */
function clashes(a: Binding, b: Binding): boolean {
  if (a.proto !== b.proto || a.hostPort !== b.hostPort) return false;
  return anyAddress(a.hostIp) || anyAddress(b.hostIp) || a.hostIp === b.hostIp;
}

function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (lo > 0 && hi >= lo) return [lo, hi];
  } catch {
    // the kernel's default
  }
  return [32768, 60999];
}

/** Whether the host lets a socket bind there now (nothing else holds it). */
function canBind(b: Binding): Promise<boolean> {
  const host = anyAddress(b.hostIp) ? (b.hostIp === '::' ? '::' : '0.0.0.0') : b.hostIp;
  return new Promise((resolve) => {
    if (b.proto === 'udp') {
      const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      s.once('error', () => resolve(false));
      s.bind({ address: host, port: b.hostPort, exclusive: true }, () => s.close(() => resolve(true)));
      return;
    }
    if (b.proto === 'sctp') {
      resolve(true); // Node has no SCTP sockets; the other containers' bindings are still checked
      return;
    }
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port: b.hostPort, exclusive: true, ipv6Only: host === '::' }, () =>
      server.close(() => resolve(true)),
    );
  });
}

const describe = (b: Binding) =>
  `${b.hostIp.includes(':') ? `[${b.hostIp}]` : b.hostIp || '0.0.0.0'}:${b.hostPort}/${b.proto}`;

/**
 * Host ports for `requests`, none clashing with `taken` or with each other, each one bindable
 * on the host. Throws Docker's errors when a fixed port is taken or a range has no free port.
 */
export async function allocatePorts(requests: PortRequest[], taken: Binding[]): Promise<Binding[]> {
  const out: Binding[] = [];
  const busy = (b: Binding) => taken.some((t) => clashes(t, b)) || out.some((t) => clashes(t, b));
  for (const r of requests) {
    const hostIp = r.hostIp;
    if (r.hostPortStart !== 0 && r.hostPortStart === r.hostPortEnd) {
      const b: Binding = { proto: r.proto, hostIp, hostPort: r.hostPortStart };
      if (busy(b)) throw conflict(`Bind for ${describe(b)} failed: port is already allocated`);
      if (!(await canBind(b)))
        throw conflict(`failed to bind host port for ${describe(b)}: address already in use`);
      out.push(b);
      continue;
    }
    const [lo, hi] = r.hostPortStart === 0 ? ephemeralRange() : [r.hostPortStart, r.hostPortEnd];
    const span = hi - lo + 1;
    // a random start, then in order (as libnetwork's port allocator walks its range)
    const first = lo + Math.floor(Math.random() * span);
    let found: Binding | undefined;
    for (let i = 0; i < span && !found; i++) {
      const b: Binding = { proto: r.proto, hostIp, hostPort: lo + ((first - lo + i) % span) };
      if (!busy(b) && (await canBind(b))) found = b;
    }
    if (!found)
      throw conflict(
        `Bind for ${hostIp || '0.0.0.0'}:${lo}-${hi}/${r.proto} failed: all ports are allocated in the range`,
      );
    out.push(found);
  }
  return out;
}
