// --network (a name, or `name=n,alias=a,ip=…` per network) with --network-alias, --ip, --ip6,
// --link, --link-local-ip and --mac-address: HostConfig.NetworkMode and
// NetworkingConfig.EndpointsConfig, as the docker CLI 28 sends them to API ≥ 1.44.

import { parseGoInt } from '../../common/govalues.ts';
import type { EndpointSettings as SpecEndpointSettings } from '../../spec/docker/network.ts';
import { splitCSV } from './mounts.ts';

export interface NetworkAttachment {
  target: string;
  aliases: string[];
  driverOpts?: Record<string, string>;
  links: string[];
  ipv4: string;
  ipv6: string;
  linkLocalIPs: string[];
  macAddress: string;
  gwPriority: number;
}

/** The docker CLI 28 also sends the endpoint's gateway priority. */
export type EndpointSettings = SpecEndpointSettings & { GwPriority: number };

const empty = (target: string): NetworkAttachment => ({
  target,
  aliases: [],
  links: [],
  ipv4: '',
  ipv6: '',
  linkLocalIPs: [],
  macAddress: '',
  gwPriority: 0,
});

/** opts.NetworkOpt.Set: one --network value. */
export function parseNetworkOpt(value: string): NetworkAttachment {
  if (!/\w+=\w+(,\w+=\w+)*/.test(value)) return empty(value);
  const n = empty('');
  for (const field of splitCSV(value)) {
    const eq = field.indexOf('=');
    if (eq <= 0) throw new Error(`invalid field ${field}`);
    const key = field.slice(0, eq).trim();
    const val = field.slice(eq + 1).trim();
    switch (key) {
      case 'name':
        n.target = val;
        break;
      case 'alias':
        n.aliases.push(val);
        break;
      case 'ip':
        n.ipv4 = val;
        break;
      case 'ip6':
        n.ipv6 = val;
        break;
      case 'link-local-ip':
        n.linkLocalIPs.push(val);
        break;
      case 'mac-address':
        n.macAddress = val;
        break;
      case 'gw-priority':
        n.gwPriority = parseGoInt(val, 64, 10);
        break;
      case 'driver-opt': {
        const e = val.indexOf('=');
        if (e <= 0) throw new Error('invalid key value pair format in driver options');
        n.driverOpts ??= {};
        n.driverOpts[val.slice(0, e).trim()] = val.slice(e + 1).trim();
        break;
      }
      default:
        throw new Error(`invalid field key ${key}`);
    }
  }
  if (n.target === '') throw new Error('network name/id is not specified');
  return n;
}

/** container.NetworkMode.IsUserDefined. */
export function isUserDefined(mode: string): boolean {
  return !['default', 'bridge', 'host', 'none'].includes(mode) && !mode.startsWith('container:');
}

export interface NetworkFlags {
  networks: NetworkAttachment[];
  aliases: string[];
  links: string[];
  ipv4: string;
  ipv6: string;
  linkLocalIPs: string[];
  macAddress: string;
}

function conflict(message: string): Error {
  return new Error(`conflicting options: ${message}`);
}

/** The container-wide flags apply to the first network (docker's applyContainerOptions). */
function applyContainerOptions(n: NetworkAttachment, f: NetworkFlags): void {
  if (n.aliases.length && f.aliases.length) {
    throw conflict('cannot specify both --network-alias and per-network alias');
  }
  if (n.links.length && f.links.length) throw conflict('cannot specify both --link and per-network links');
  if (n.ipv4 && f.ipv4) throw conflict('cannot specify both --ip and per-network IPv4 address');
  if (n.ipv6 && f.ipv6) throw conflict('cannot specify both --ip6 and per-network IPv6 address');
  if (n.macAddress && f.macAddress) {
    throw conflict('cannot specify both --mac-address and per-network MAC address');
  }
  if (n.linkLocalIPs.length && f.linkLocalIPs.length) {
    throw conflict('cannot specify both --link-local-ip and per-network link-local IP addresses');
  }
  if (f.aliases.length) n.aliases = [...f.aliases];
  if (f.links.length && isUserDefined(n.target)) n.links = [...f.links];
  if (f.ipv4) n.ipv4 = f.ipv4;
  if (f.ipv6) n.ipv6 = f.ipv6;
  if (f.macAddress) n.macAddress = f.macAddress;
  if (f.linkLocalIPs.length) n.linkLocalIPs = [...f.linkLocalIPs];
}

function endpoint(n: NetworkAttachment): EndpointSettings {
  if (n.target.trim() === '') throw new Error('no name set for network');
  if (!isUserDefined(n.target)) {
    if (n.aliases.length)
      throw new Error('network-scoped aliases are only supported for user-defined networks');
    if (n.links.length) throw new Error('links are only supported for user-defined networks');
  }
  const ipam =
    n.ipv4 || n.ipv6 || n.linkLocalIPs.length
      ? {
          ...(n.ipv4 ? { IPv4Address: n.ipv4 } : {}),
          ...(n.ipv6 ? { IPv6Address: n.ipv6 } : {}),
          ...(n.linkLocalIPs.length ? { LinkLocalIPs: n.linkLocalIPs } : {}),
        }
      : null;
  return {
    IPAMConfig: ipam,
    Links: n.links.length ? n.links : null,
    Aliases: n.aliases.length ? n.aliases : null,
    MacAddress: n.macAddress,
    DriverOpts: n.driverOpts ?? null,
    GwPriority: n.gwPriority,
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

function isEmpty(ep: EndpointSettings): boolean {
  return (
    ep.IPAMConfig === null &&
    ep.Links === null &&
    ep.Aliases === null &&
    ep.MacAddress === '' &&
    ep.DriverOpts === null &&
    ep.GwPriority === 0
  );
}

/** NetworkMode and EndpointsConfig for the network flags. */
export function parseNetworks(f: NetworkFlags): {
  mode: string;
  endpoints: Record<string, EndpointSettings>;
} {
  const endpoints: Record<string, EndpointSettings> = {};
  if (f.networks.length === 0) {
    const n = empty('default');
    applyContainerOptions(n, f);
    endpoints.default = endpoint(n);
    return { mode: 'default', endpoints };
  }
  let userDefined = false;
  let builtIn = false;
  f.networks.forEach((given, i) => {
    const n = { ...given, aliases: [...given.aliases], links: [...given.links] };
    if (isUserDefined(n.target)) userDefined = true;
    else builtIn = true;
    if (i === 0) applyContainerOptions(n, f);
    const ep = endpoint(n);
    if (n.target in endpoints) throw new Error(`network "${n.target}" is specified multiple times`);
    if (i === 0 && f.networks.length === 1 && isEmpty(ep)) return;
    endpoints[n.target] = ep;
  });
  if (userDefined && builtIn) {
    throw conflict('cannot attach both user-defined and non-user-defined network-modes');
  }
  return { mode: f.networks[0].target, endpoints };
}
