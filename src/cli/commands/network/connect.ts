// berth network connect / disconnect: POST /networks/{id}/connect|disconnect with the bodies the
// docker CLI 28 sends (connect: a whole EndpointSettings, zero values included).

import type { Parsed } from '../../opts/flags.ts';
import type { EndpointSettings } from '../../opts/network.ts';
import { CliError } from '../container/common.ts';
import { interspersed, npath, slice, values } from './common.ts';

/** EndpointSettings as the docker CLI sends it to connect: an IPAMConfig and aliases always. */
export type EndpointConfig = Omit<EndpointSettings, 'IPAMConfig' | 'Aliases' | 'DriverOpts'> & {
  IPAMConfig: NonNullable<EndpointSettings['IPAMConfig']>;
  Aliases: string[];
  DriverOpts: Record<string, string>;
};

/** opts.ValidateLink: `name` or `name:alias`. */
export function validateLink(v: string): string {
  if (v === '') throw new Error('empty string specified for links');
  if (v.split(':').length > 2) throw new Error(`bad format for links: ${v}`);
  return v;
}

/** convertDriverOpt: `k=v` pairs, both sides trimmed. */
export function driverOpts(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).trim();
    if (eq < 0 || key === '') throw new CliError('invalid key/value pair format in driver options');
    out[key] = item.slice(eq + 1).trim();
  }
  return out;
}

export const CONNECT_FLAGS = [
  slice('alias', 'Add network-scoped alias for the container'),
  slice('driver-opt', 'driver options for the network'),
  {
    name: 'gw-priority',
    type: 'int' as const,
    description: 'Highest gw-priority provides the default gateway. Accepts positive and negative values.',
  },
  { name: 'ip', type: 'string' as const, description: 'IPv4 address (e.g., "172.30.100.104")', default: '' },
  { name: 'ip6', type: 'string' as const, description: 'IPv6 address (e.g., "2001:db8::33")', default: '' },
  { name: 'link', type: 'list' as const, description: 'Add link to another container', parse: validateLink },
  slice('link-local-ip', 'Add a link-local address for the container'),
];

/** The body of `docker network connect` for these flags. */
export function connectBody(
  container: string,
  { opts }: Pick<Parsed, 'opts'>,
): { Container: string; EndpointConfig: EndpointConfig } {
  const ipam: EndpointConfig['IPAMConfig'] = {};
  if (opts.ip) ipam.IPv4Address = opts.ip as string;
  if (opts.ip6) ipam.IPv6Address = opts.ip6 as string;
  const linkLocal = values(opts, 'link-local-ip');
  if (linkLocal.length) ipam.LinkLocalIPs = linkLocal;
  const links = values(opts, 'link');
  return {
    Container: container,
    EndpointConfig: {
      IPAMConfig: ipam,
      Links: links.length ? links : null,
      Aliases: values(opts, 'alias'),
      MacAddress: '',
      DriverOpts: driverOpts(values(opts, 'driver-opt')),
      GwPriority: (opts['gw-priority'] as number | undefined) ?? 0,
      NetworkID: '',
      EndpointID: '',
      Gateway: '',
      IPAddress: '',
      IPPrefixLen: 0,
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      DNSNames: null,
    },
  };
}

export const connect = interspersed({
  path: ['network', 'connect'],
  summary: 'Connect a container to a network',
  usage: 'berth network connect [OPTIONS] NETWORK CONTAINER',
  args: { min: 2, max: 2 },
  flags: CONNECT_FLAGS,
  async run(ctx, parsed) {
    const [network, container] = parsed.args;
    const body = connectBody(container, parsed);
    const client = await ctx.client();
    await client.request('POST', npath(network, '/connect'), { body });
    return 0;
  },
});

export const disconnect = interspersed({
  path: ['network', 'disconnect'],
  summary: 'Disconnect a container from a network',
  usage: 'berth network disconnect [OPTIONS] NETWORK CONTAINER',
  args: { min: 2, max: 2 },
  flags: [
    {
      name: 'force',
      short: 'f',
      type: 'bool',
      description: 'Force the container to disconnect from a network',
    },
  ],
  async run(ctx, { opts, args }) {
    const [network, container] = args;
    const client = await ctx.client();
    await client.request('POST', npath(network, '/disconnect'), {
      body: { Container: container, Force: opts.force === true },
    });
    return 0;
  },
});
