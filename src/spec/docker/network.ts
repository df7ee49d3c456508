// Docker's network API shapes (Engine API 1.45: Network, NetworkCreateRequest, EndpointSettings)
// and the pure parts of publishing ports: which bindings a container asks for.

import { invalidArgument } from '../../common/errors.ts';
import type { ContainerConfig, HostConfig } from './api.ts';

export interface IpamConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface NetworkCreateRequest {
  Name?: string;
  CheckDuplicate?: boolean;
  Driver?: string;
  Scope?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network?: string } | null;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: IpamConfig[] | null; Options?: Record<string, string> | null } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

/** A network as berthd keeps it (and serves it, with `Containers` added). */
export interface NetworkRecord {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: 'bridge' | 'host' | 'null';
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: IpamConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

export interface EndpointIpamConfig {
  IPv4Address?: string;
  IPv6Address?: string;
  LinkLocalIPs?: string[] | null;
}

export interface EndpointSettings {
  IPAMConfig: EndpointIpamConfig | null;
  Links: string[] | null;
  Aliases: string[] | null;
  MacAddress: string;
  DriverOpts: Record<string, string> | null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
}

export type PortMap = Record<string, { HostIp: string; HostPort: string }[] | null>;

/** What a container's record carries about its networks (bridge and user-defined ones). */
export interface ContainerNetworking {
  /** by network name, in the order joined: the first holds the default route */
  Networks: Record<string, EndpointSettings>;
  /** the published ports while it runs */
  Ports: PortMap;
  /** the namespace path while it runs, '' otherwise */
  SandboxKey: string;
  /** berth: the interface name inside the namespace, by network ID, while it runs */
  Interfaces?: Record<string, string>;
}

/** What a client sends in NetworkingConfig.EndpointsConfig or a connect's EndpointConfig. */
export type EndpointRequest = Partial<Omit<EndpointSettings, 'IPAMConfig'>> & {
  IPAMConfig?: EndpointIpamConfig | null;
};

export function endpointSettings(req: EndpointRequest | undefined, networkId: string): EndpointSettings {
  return {
    IPAMConfig: req?.IPAMConfig ?? null,
    Links: req?.Links?.length ? [...req.Links] : null,
    Aliases: req?.Aliases?.length ? [...req.Aliases] : null,
    MacAddress: req?.MacAddress ?? '',
    DriverOpts: req?.DriverOpts ?? null,
    NetworkID: networkId,
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

/** The fields an endpoint has only while its container runs. */
export function clearDynamic(e: EndpointSettings): void {
  e.EndpointID = '';
  e.Gateway = '';
  e.IPAddress = '';
  e.IPPrefixLen = 0;
  e.IPv6Gateway = '';
  e.GlobalIPv6Address = '';
  e.GlobalIPv6PrefixLen = 0;
  e.DNSNames = null;
  // a MAC the user did not ask for goes with the address it was made from
}

export const PREDEFINED = new Set(['bridge', 'host', 'none']);

/**
 * A `--link`: the container it names and the alias it goes by. The docker CLI sends
 * `name:alias` (or `name`); dockerd's own form is `/name:/container/alias`.
 */
export function parseLink(link: string): { target: string; alias: string } {
  const [target, aliasPath = ''] = link.split(':');
  const bare = target.replace(/^\//, '');
  return { target: bare, alias: aliasPath.split('/').pop() || bare };
}

export interface PortRequest {
  proto: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  hostIp: string;
  /** 0: any free port */
  hostPortStart: number;
  hostPortEnd: number;
}

function parsePortKey(key: string): { port: number; proto: PortRequest['proto'] } {
  const [port, proto = 'tcp'] = key.split('/');
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)
    throw invalidArgument(`invalid port specification: ${JSON.stringify(port)}`);
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp')
    throw invalidArgument(`invalid proto: ${JSON.stringify(proto)}`);
  return { port: Number(port), proto };
}

function parseHostPorts(text: string): [number, number] {
  if (text === '') return [0, 0];
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  const lo = m ? Number(m[1]) : Number.NaN;
  const hi = m?.[2] ? Number(m[2]) : lo;
  if (!m || lo > 65535 || hi > 65535 || hi < lo)
    throw invalidArgument(`invalid port specification: ${JSON.stringify(text)}`);
  return [lo, hi];
}

/**
 * The ports a container publishes: its PortBindings, and with PublishAllPorts every exposed port
 * (image EXPOSE and --expose) not bound otherwise, on a random host port.
 */
export function portRequests(config: ContainerConfig, hc: HostConfig): PortRequest[] {
  const out: PortRequest[] = [];
  const bound = new Set<string>();
  for (const [key, bindings] of Object.entries(hc.PortBindings ?? {})) {
    const { port, proto } = parsePortKey(key);
    bound.add(`${port}/${proto}`);
    for (const b of bindings?.length ? bindings : [{}]) {
      const [lo, hi] = parseHostPorts(b.HostPort ?? '');
      out.push({ proto, containerPort: port, hostIp: b.HostIp ?? '', hostPortStart: lo, hostPortEnd: hi });
    }
  }
  if (hc.PublishAllPorts) {
    for (const key of Object.keys(config.ExposedPorts ?? {}).sort()) {
      const { port, proto } = parsePortKey(key);
      if (bound.has(`${port}/${proto}`)) continue;
      out.push({ proto, containerPort: port, hostIp: '', hostPortStart: 0, hostPortEnd: 0 });
    }
  }
  return out;
}
