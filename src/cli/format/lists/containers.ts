// `docker ps` / `docker container ls` output (docker/cli formatter/container.go): the command
// ellipsized to 20 cells and quoted, one name, ports grouped into ranges, CREATED as "… ago".

import { DEFAULT_QUIET_FORMAT, RAW_FORMAT_KEY, renderFormat, TABLE_FORMAT_KEY } from '../format.ts';
import { quote } from '../gofmt.ts';
import { marshal } from '../gojson.ts';
import { splitReference } from '../reference.ts';
import { ellipsis, goTimeString, humanSince, humanSizeWithPrecision, truncateID } from '../units.ts';
import { type Clock, joinLabels, type ListOptions, Row } from './row.ts';

export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

/** The fields of a container in GET /containers/json that the list shows. */
export interface ContainerSummary {
  Id: string;
  Names?: string[] | null;
  Image?: string;
  ImageID?: string;
  Command?: string;
  /** Seconds since the epoch. */
  Created: number;
  Ports?: PortSummary[] | null;
  SizeRw?: number;
  SizeRootFs?: number;
  Labels?: Record<string, string> | null;
  State?: string;
  Status?: string;
  Mounts?: { Name?: string; Source?: string; Driver?: string }[] | null;
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
  ImageManifestDescriptor?: { platform?: Platform | null } | null;
}

export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  variant?: string;
}

export const DEFAULT_CONTAINER_TABLE_FORMAT =
  'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

export const CONTAINER_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID',
  Names: 'NAMES',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  Platform: 'PLATFORM',
};

export interface ContainerListOptions extends ListOptions {
  /** --size. */
  size?: boolean;
}

/** NewContainerFormat: with --quiet every format but `raw` prints IDs. */
export function containerListFormat(source: string, quiet: boolean, size: boolean): string {
  if (source === TABLE_FORMAT_KEY || source === '') {
    if (quiet) return DEFAULT_QUIET_FORMAT;
    return DEFAULT_CONTAINER_TABLE_FORMAT + (size ? '\\t{{.Size}}' : '');
  }
  if (source === RAW_FORMAT_KEY) {
    if (quiet) return 'container_id: {{.ID}}';
    return (
      'container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\n' +
      'state: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\n' +
      'labels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n' +
      (size ? 'size: {{.Size}}\\n' : '')
    );
  }
  return quiet ? DEFAULT_QUIET_FORMAT : source;
}

/** Texts worked out once per list (a ContainerContext's trunc is the list's). */
interface ListTexts {
  /** IMAGE, by image and image ID */
  images: Map<string, string>;
  /** COMMAND, by command */
  commands: Map<string, string>;
}

const newListTexts = (): ListTexts => ({ images: new Map(), commands: new Map() });

class PlatformValue {
  readonly #p: Platform;
  constructor(p: Platform) {
    this.#p = p;
  }
  String(): string {
    const os = this.#p['os.version'] ? `${this.#p.os}(${this.#p['os.version']})` : this.#p.os;
    return [os, this.#p.architecture, this.#p.variant].filter(Boolean).join('/');
  }
  MarshalJSON(): string {
    return marshal(this.#p);
  }
}

export class ContainerContext extends Row {
  static override goName = 'formatter.ContainerContext';
  readonly #c: ContainerSummary;
  readonly #trunc: boolean;
  readonly #clock: Clock;
  /** IMAGE and COMMAND texts already worked out for this list: most rows repeat them. */
  readonly #seen: ListTexts;

  constructor(c: ContainerSummary, trunc: boolean, clock: Clock, seen: ListTexts = newListTexts()) {
    super();
    this.#c = c;
    this.#trunc = trunc;
    this.#clock = clock;
    this.#seen = seen;
  }

  get ID(): string {
    return this.#trunc ? truncateID(this.#c.Id) : this.#c.Id;
  }
  get Names(): string {
    const all = this.#c.Names ?? [];
    if (all.length === 1 && all[0].lastIndexOf('/') <= 0) return all[0].slice(all[0].startsWith('/') ? 1 : 0);
    const names = all.map((n) => n.replace(/^\//, ''));
    if (this.#trunc) return names.find((n) => !n.includes('/')) ?? '';
    return names.join(',');
  }
  get Image(): string {
    const image = this.#c.Image ?? '';
    if (image === '') return '<no image>';
    if (!this.#trunc) return image;
    const key = `${image}\n${this.#c.ImageID ?? ''}`;
    let text = this.#seen.images.get(key);
    if (text === undefined) {
      text = this.#shortImage(image);
      this.#seen.images.set(key, text);
    }
    return text;
  }
  #shortImage(image: string): string {
    const short = truncateID(this.#c.ImageID ?? '');
    if (short === truncateID(image)) return short;
    const ref = splitReference(image);
    if (!ref) return image;
    return ref.tag !== undefined ? `${ref.name}:${ref.tag}` : ref.name;
  }
  get Command(): string {
    const command = this.#c.Command ?? '';
    let text = this.#seen.commands.get(command);
    if (text === undefined) {
      text = quote(this.#trunc ? ellipsis(command, 20) : command);
      this.#seen.commands.set(command, text);
    }
    return text;
  }
  get CreatedAt(): string {
    return goTimeString(this.#c.Created * 1000, this.#clock.offsetMinutes, this.#clock.zone);
  }
  get RunningFor(): string {
    return humanSince(this.#c.Created * 1000, this.#clock.now);
  }
  get Platform(): PlatformValue | null {
    const p = this.#c.ImageManifestDescriptor?.platform;
    return p ? new PlatformValue(p) : null;
  }
  get Ports(): string {
    const ports = this.#c.Ports;
    return ports && ports.length > 0 ? displayablePorts(ports) : '';
  }
  get State(): string {
    return this.#c.State ?? '';
  }
  get Status(): string {
    return this.#c.Status ?? '';
  }
  get Size(): string {
    const rw = humanSizeWithPrecision(this.#c.SizeRw ?? 0, 3);
    const rootfs = this.#c.SizeRootFs ?? 0;
    return rootfs > 0 ? `${rw} (virtual ${humanSizeWithPrecision(rootfs, 3)})` : rw;
  }
  get Labels(): string {
    return joinLabels(this.#c.Labels);
  }
  Label(name: string): string {
    return this.#c.Labels?.[name] ?? '';
  }
  get Mounts(): string {
    return (this.#c.Mounts ?? [])
      .map((m) => {
        const name = m.Name || m.Source || '';
        return this.#trunc ? ellipsis(name, 15) : name;
      })
      .join(',');
  }
  get LocalVolumes(): string {
    return String((this.#c.Mounts ?? []).filter((m) => m.Driver === 'local').length);
  }
  get Networks(): string {
    return Object.keys(this.#c.NetworkSettings?.Networks ?? {})
      .sort()
      .join(',');
  }
}

function joinHostPort(ip: string, port: string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function ipKey(ip: string | undefined): [number, string] {
  if (!ip) return [0, ''];
  if (!ip.includes(':'))
    return [
      1,
      ip
        .split('.')
        .map((o) => o.padStart(3, '0'))
        .join('.'),
    ];
  return [2, ip];
}

function comparePorts(a: PortSummary, b: PortSummary): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  const [ka, sa] = ipKey(a.IP);
  const [kb, sb] = ipKey(b.IP);
  if (ka !== kb) return ka - kb;
  if (sa !== sb) return sa < sb ? -1 : 1;
  if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
}

function formGroup(key: string, first: number, last: number): string {
  const parts = key.split('/');
  const ip = parts.length > 1 ? parts.slice(0, -1).join('/') : '';
  const type = parts[parts.length - 1];
  let group = first === last ? String(first) : `${first}-${last}`;
  if (ip) group = `${joinHostPort(ip, group)}->${group}`;
  return `${group}/${type}`;
}

/** `0.0.0.0:8080->80/tcp, 9000-9002/tcp`: published and exposed ports, consecutive ones grouped. */
export function displayablePorts(ports: readonly PortSummary[]): string {
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const port of [...ports].sort(comparePorts)) {
    const current = port.PrivatePort;
    let key = port.Type;
    if (port.IP) {
      if ((port.PublicPort ?? 0) !== current) {
        hostMappings.push(`${joinHostPort(port.IP, String(port.PublicPort ?? 0))}->${current}/${port.Type}`);
        continue;
      }
      key = `${port.IP}/${port.Type}`;
    }
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === group.last + 1) {
      group.last = current;
      continue;
    }
    result.push(formGroup(key, group.first, group.last));
    // Go replaces the map entry, keeping the key's first-seen position in the final listing.
    group.first = current;
    group.last = current;
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}

/** The whole output of `docker ps` for these containers and flags. */
export function formatContainerList(
  containers: readonly ContainerSummary[],
  opts: ContainerListOptions,
): string {
  const format = containerListFormat(opts.format ?? '', opts.quiet ?? false, opts.size ?? false);
  const seen = newListTexts();
  const rows = containers.map((c) => new ContainerContext(c, !opts.noTrunc, opts.clock, seen));
  return renderFormat(format, rows, CONTAINER_HEADERS);
}
