// berth network create: POST /networks/create with the body the docker CLI 28 sends.

import type { Parsed } from '../../opts/flags.ts';
import { kvMap } from '../../opts/kvfile.ts';
import { validateLabel } from '../../opts/validators.ts';
import { interspersed, mapFlag, slice, values } from './common.ts';
import { consolidateIpam, type IpamConfig } from './ipam.ts';

/** NetworkCreateRequest (Engine API 1.45), the fields in the order the docker CLI writes them. */
export interface NetworkCreateRequest {
  Driver: string;
  Scope: string;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  IPAM: { Driver: string; Options: Record<string, string>; Config: IpamConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigOnly: boolean;
  ConfigFrom: { Network: string } | null;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  Name: string;
}

const bool = (name: string, description: string, def = false) => ({
  name,
  type: 'bool' as const,
  description,
  default: def,
});

export const CREATE_FLAGS = [
  bool('attachable', 'Enable manual container attachment'),
  mapFlag('aux-address', 'Auxiliary IPv4 or IPv6 addresses used by Network driver'),
  {
    name: 'config-from',
    type: 'string' as const,
    description: 'The network from which to copy the configuration',
    default: '',
  },
  bool('config-only', 'Create a configuration only network'),
  {
    name: 'driver',
    short: 'd',
    type: 'string' as const,
    description: 'Driver to manage the Network',
    default: 'bridge',
  },
  slice('gateway', 'IPv4 or IPv6 Gateway for the master subnet'),
  bool('ingress', 'Create swarm routing-mesh network'),
  bool('internal', 'Restrict external access to the network'),
  slice('ip-range', 'Allocate container ip from a sub-range'),
  {
    name: 'ipam-driver',
    type: 'string' as const,
    description: 'IP Address Management Driver',
    default: 'default',
  },
  mapFlag('ipam-opt', 'Set IPAM driver specific options'),
  bool('ipv4', 'Enable or disable IPv4 address assignment', true),
  bool('ipv6', 'Enable or disable IPv6 address assignment'),
  { name: 'label', type: 'list' as const, description: 'Set metadata on a network', parse: validateLabel },
  mapFlag('opt', 'Set driver specific options', 'o'),
  { name: 'scope', type: 'string' as const, description: "Control the network's scope", default: '' },
  slice('subnet', 'Subnet in CIDR format that represents a network segment'),
];

/** The request `docker network create` sends for these flags (throws its client-side errors). */
export function createBody(
  name: string,
  { opts, changed }: Pick<Parsed, 'opts' | 'changed'>,
): NetworkCreateRequest {
  const config = consolidateIpam(
    values(opts, 'subnet'),
    values(opts, 'ip-range'),
    values(opts, 'gateway'),
    kvMap(values(opts, 'aux-address')),
  );
  const from = opts['config-from'] as string;
  return {
    Driver: opts.driver as string,
    Scope: opts.scope as string,
    ...(changed.has('ipv4') ? { EnableIPv4: opts.ipv4 as boolean } : {}),
    ...(changed.has('ipv6') ? { EnableIPv6: opts.ipv6 as boolean } : {}),
    IPAM: { Driver: opts['ipam-driver'] as string, Options: kvMap(values(opts, 'ipam-opt')), Config: config },
    Internal: opts.internal === true,
    Attachable: opts.attachable === true,
    Ingress: opts.ingress === true,
    ConfigOnly: opts['config-only'] === true,
    ConfigFrom: from ? { Network: from } : null,
    Options: kvMap(values(opts, 'opt')),
    Labels: kvMap(values(opts, 'label')),
    Name: name,
  };
}

export const create = interspersed({
  path: ['network', 'create'],
  summary: 'Create a network',
  usage: 'berth network create [OPTIONS] NETWORK',
  args: { min: 1, max: 1 },
  flags: CREATE_FLAGS,
  async run(ctx, parsed) {
    const body = createBody(parsed.args[0], parsed);
    const client = await ctx.client();
    const res = await client.json<{ Id: string }>('POST', '/networks/create', { body });
    ctx.out.write(`${res.Id}\n`);
    return 0;
  },
});
