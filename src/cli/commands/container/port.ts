// berth port / berth container port: the container's published ports, or where one is published.

import type { CommandDef } from '../../command.ts';
import { CliError, inspectContainer } from './common.ts';

const joinHostPort = (host: string, port: string) =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

/** docker's sortorder.NaturalLess: digit runs compare as numbers. */
export function naturalLess(a: string, b: string): boolean {
  const re = /(\d+|\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = BigInt(x);
      const ny = BigInt(y);
      if (nx !== ny) return nx < ny;
      return x.length < y.length;
    }
    return x < y;
  }
  return pa.length < pb.length;
}

/** The lines `docker port` prints for a container's NetworkSettings.Ports. */
export function portLines(
  ports: Record<string, { HostIp: string; HostPort: string }[] | null>,
  container: string,
  wanted?: string,
): string[] {
  const out: string[] = [];
  if (wanted !== undefined) {
    const slash = wanted.indexOf('/');
    const port = slash >= 0 ? wanted.slice(0, slash) : wanted;
    const proto = (slash >= 0 ? wanted.slice(slash + 1) : '') || 'tcp';
    if (!/^\d+$/.test(port) || Number(port) > 65535) {
      throw new CliError(
        `Error: invalid port (${port}): strconv.ParseUint: parsing "${port}": invalid syntax`,
      );
    }
    const frontends = ports[`${port}/${proto}`];
    if (!frontends?.length)
      throw new CliError(`Error: No public port '${wanted}' published for ${container}`);
    for (const f of frontends) out.push(joinHostPort(f.HostIp, f.HostPort));
  } else {
    for (const [from, frontends] of Object.entries(ports)) {
      for (const f of frontends ?? []) out.push(`${from} -> ${joinHostPort(f.HostIp, f.HostPort)}`);
    }
  }
  return out.sort((x, y) => (naturalLess(x, y) ? -1 : naturalLess(y, x) ? 1 : 0));
}

export const port: CommandDef = {
  path: ['container', 'port'],
  aliases: [['port']],
  summary: 'List port mappings or a specific mapping for the container',
  usage: 'berth port CONTAINER [PRIVATE_PORT[/PROTO]]',
  args: { min: 1, max: 2 },
  flags: [],
  async run(ctx, _opts, args) {
    const client = await ctx.client();
    const c = await inspectContainer(client, args[0]);
    const lines = portLines(c.NetworkSettings?.Ports ?? {}, args[0], args[1]);
    if (lines.length) ctx.out.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
