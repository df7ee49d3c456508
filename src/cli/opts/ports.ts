// -p / --publish and --expose as docker does (go-connections nat.ParsePortSpecs): `[ip:][host:]
// container[/proto]`, ranges on both sides, the long form `published=8080,target=80,protocol=udp`;
// into ExposedPorts (`{"80/tcp": {}}`) and PortBindings (`{"80/tcp": [{HostIp, HostPort}]}`).

import { isIP } from 'node:net';
import { parseGoUint } from '../../common/govalues.ts';

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

export type ExposedPorts = Record<string, Record<string, never>>;
export type PortBindings = Record<string, PortBinding[]>;

/** nat.SplitProtoPort: `80/udp` → ['udp', '80']; no protocol is tcp. */
export function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw === '' || parts[0] === '') return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if (parts[1] === '') return ['tcp', parts[0]];
  return [parts[1], parts[0]];
}

/** nat.ParsePortRange: `8000-8010` → [8000, 8010]; one port is a range of one. */
export function parsePortRange(ports: string): [number, number] {
  if (ports === '') throw new Error('empty string specified for ports');
  if (!ports.includes('-')) {
    const p = parseGoUint(ports, 16, 10);
    return [p, p];
  }
  const parts = ports.split('-');
  const start = parseGoUint(parts[0], 16, 10);
  const end = parseGoUint(parts[1], 16, 10);
  if (end < start) throw new Error(`invalid range specified for port: ${ports}`);
  return [start, end];
}

function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(':');
  const n = parts.length;
  const container = parts[n - 1];
  if (n === 1) return ['', '', container];
  if (n === 2) return ['', parts[0], container];
  if (n === 3) return [parts[0], parts[1], container];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2], container];
}

export interface PortMapping {
  port: string;
  binding: PortBinding;
}

/** nat.ParsePortSpec: one -p value as one mapping per container port. */
export function parsePortSpec(raw: string): PortMapping[] {
  let [ip, hostPort, containerPort] = splitParts(raw);
  let proto: string;
  [proto, containerPort] = splitProtoPort(containerPort);
  if (ip !== '' && ip[0] === '[') {
    const m = /^\[([^\]]*)\]$/.exec(ip);
    if (!m) throw new Error(`invalid IP address ${ip}: address ${ip}:: missing port in address`);
    ip = m[1];
  }
  if (ip !== '' && isIP(ip) === 0) throw new Error(`invalid IP address: ${ip}`);
  if (containerPort === '') throw new Error(`no port specified: ${raw}<empty>`);
  let start: number;
  let end: number;
  try {
    [start, end] = parsePortRange(containerPort);
  } catch {
    throw new Error(`invalid containerPort: ${containerPort}`);
  }
  let hostStart = 0;
  let hostEnd = 0;
  if (hostPort !== '') {
    try {
      [hostStart, hostEnd] = parsePortRange(hostPort);
    } catch {
      throw new Error(`invalid hostPort: ${hostPort}`);
    }
  }
  if (hostPort !== '' && end - start !== hostEnd - hostStart && end !== start) {
    throw new Error(
      `invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`,
    );
  }
  proto = proto.toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new Error(`invalid proto: ${proto}`);
  const count = end - start + 1;
  const out: PortMapping[] = [];
  for (let i = 0; i < count; i++) {
    let hPort = '';
    if (hostPort !== '') {
      hPort = String(hostStart + i);
      if (count === 1 && hostStart !== hostEnd) hPort += `-${hostEnd}`;
    }
    out.push({ port: `${start + i}/${proto}`, binding: { HostIp: ip, HostPort: hPort } });
  }
  return out;
}

/** The long form `published=8080,target=80,protocol=udp` written as `8080:80/udp`. */
export function toStandardNotation(publish: string): string {
  if (!publish.includes('=')) return publish;
  const params: Record<string, string> = { protocol: 'tcp' };
  for (const param of publish.split(',')) {
    const opt = param.split('=');
    if (opt.length < 2) {
      throw new Error(`invalid publish opts format (should be name=value but got '${param}')`);
    }
    params[opt[0]] = opt[1];
  }
  return `${params.published ?? ''}:${params.target ?? ''}/${params.protocol}`;
}

/** nat.ParsePortSpecs over every -p value, then every --expose value merged in. */
export function parsePorts(
  publish: readonly string[],
  expose: readonly string[],
): { exposed: ExposedPorts; bindings: PortBindings } {
  const exposed: ExposedPorts = {};
  const bindings: PortBindings = {};
  for (const raw of publish.map(toStandardNotation)) {
    for (const { port, binding } of parsePortSpec(raw)) {
      exposed[port] = {};
      bindings[port] ??= [];
      bindings[port].push(binding);
    }
  }
  for (const e of expose) {
    if (e.includes(':')) throw new Error(`invalid port format for --expose: ${e}`);
    const [proto, port] = splitProtoPort(e);
    let start: number;
    let end: number;
    try {
      [start, end] = parsePortRange(port);
    } catch (err) {
      throw new Error(`invalid range format for --expose: ${e}, error: ${(err as Error).message}`);
    }
    for (let p = start; p <= end; p++) exposed[`${p}/${proto}`] ??= {};
  }
  return { exposed, bindings };
}
