// Containers in Docker's API shapes: `GET /containers/{id}/json` and `GET /containers/json`.

import {
  containerMountPoints,
  DEFAULT_PROPAGATION,
  type MountPoint,
} from '../../spec/docker/container-mounts.ts';
import type { ContainerRecord } from './record.ts';

export interface InspectExtras {
  graphDriver: { Name: string; Data: Record<string, string> | null };
  execIds: string[];
  /** the daemon's data root: the propagation binds of it get (containerMountPoints) */
  daemonRoot?: string;
  sizeRw?: number;
  sizeRootFs?: number;
}

export function networkMode(rec: ContainerRecord): string {
  const m = rec.HostConfig.NetworkMode ?? 'default';
  return m === 'default' ? 'bridge' : m;
}

function networkSettings(rec: ContainerRecord) {
  const nw = rec.NetworkSettings;
  const networks = nw?.Networks ?? {};
  // the top-level address fields describe the default bridge's endpoint, as in dockerd
  const primary = networkMode(rec) === 'bridge' ? Object.values(networks)[0] : undefined;
  return {
    Bridge: '',
    SandboxID: nw?.SandboxKey ? rec.ID : '',
    SandboxKey: nw?.SandboxKey || (rec.State.Pid ? `/proc/${rec.State.Pid}/ns/net` : ''),
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: nw?.Ports ?? {},
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: primary?.EndpointID ?? '',
    Gateway: primary?.Gateway ?? '',
    GlobalIPv6Address: primary?.GlobalIPv6Address ?? '',
    GlobalIPv6PrefixLen: primary?.GlobalIPv6PrefixLen ?? 0,
    IPAddress: primary?.IPAddress ?? '',
    IPPrefixLen: primary?.IPPrefixLen ?? 0,
    IPv6Gateway: primary?.IPv6Gateway ?? '',
    MacAddress: primary?.EndpointID ? primary.MacAddress : '',
    Networks: networks,
  };
}

/**
 * `ps`'s Ports, as dockerd lists them: each binding of the container's NetworkSettings.Ports, and
 * the ports there without one (a running container's exposed ports on a bridge network). Exposed
 * ports are not listed otherwise: dockerd shows none for `host` or `none` containers, or once the
 * container stopped and its ports were released.
 */
export function portList(rec: ContainerRecord) {
  const out: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] = [];
  for (const [key, list] of Object.entries(rec.NetworkSettings?.Ports ?? {})) {
    const [port, type = 'tcp'] = key.split('/');
    if (!list?.length) out.push({ PrivatePort: Number(port), Type: type });
    for (const b of list ?? [])
      out.push({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type });
  }
  return out;
}

/**
 * The Mounts dockerd lists: binds (`-v`, with their mode text) and `--mount` entries, with the
 * propagation they get; --tmpfs mounts are not listed.
 */
export function mounts(rec: ContainerRecord, daemonRoot?: string) {
  let points: MountPoint[];
  try {
    points = containerMountPoints(rec.HostConfig, daemonRoot);
  } catch {
    return []; // a record from before a check it fails: nothing to show rather than no answer
  }
  return points
    .filter((mp) => mp.origin !== 'Tmpfs')
    .map((mp) => ({
      Type: mp.type,
      Source: mp.source,
      Destination: mp.destination,
      Mode: mp.origin === 'Binds' ? (mp.spec.split(':')[2] ?? '') : '',
      RW: !mp.readOnly,
      Propagation: mp.type === 'bind' ? (mp.propagation ?? DEFAULT_PROPAGATION) : '',
    }));
}

export function inspectContainer(rec: ContainerRecord, x: InspectExtras) {
  const out: Record<string, unknown> = {
    Id: rec.ID,
    Created: rec.Created,
    Path: rec.Path,
    Args: rec.Args,
    State: rec.State,
    Image: rec.Image,
    ResolvConfPath: rec.ResolvConfPath,
    HostnamePath: rec.HostnamePath,
    HostsPath: rec.HostsPath,
    LogPath: rec.LogPath,
    Name: rec.Name,
    RestartCount: rec.RestartCount,
    // the storage driver as GraphDriver names it (berth's `overlay` snapshotter is dockerd's overlay2)
    Driver: x.graphDriver.Name,
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: x.execIds.length ? x.execIds : null,
    HostConfig: {
      NetworkMode: 'default',
      LogConfig: { Type: 'json-file', Config: {} },
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      ...rec.HostConfig,
    },
    GraphDriver: x.graphDriver,
    Mounts: mounts(rec, x.daemonRoot),
    Config: rec.Config,
    NetworkSettings: networkSettings(rec),
  };
  if (x.sizeRw !== undefined) out.SizeRw = x.sizeRw;
  if (x.sizeRootFs !== undefined) out.SizeRootFs = x.sizeRootFs;
  return out;
}

/**
 * "Up 3 minutes", "Exited (0) 5 seconds ago", "Created" … as Docker words it (go-units
 * HumanDuration: seconds and minutes cut down, hours rounded).
 */
export function humanDuration(ms: number): string {
  const s = Math.trunc(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.trunc(ms / 60_000);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.trunc(ms / 3_600_000 + 0.5);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.trunc(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.trunc(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.trunc(h / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

/** The Status words of `rec` at `now`; `parse` reads its timestamps (Date.parse, or a memo of it). */
export function statusText(
  rec: ContainerRecord,
  now = Date.now(),
  parse: (time: string) => number = Date.parse,
): string {
  const st = rec.State;
  if (st.Restarting) return `Restarting (${st.ExitCode}) ${humanDuration(now - parse(st.FinishedAt))} ago`;
  if (st.Running) {
    const up = `Up ${humanDuration(now - parse(st.StartedAt))}`;
    const health =
      st.Health && st.Health.Status !== 'none'
        ? ` (${st.Health.Status === 'starting' ? 'health: starting' : st.Health.Status})`
        : '';
    return st.Paused ? `${up} (Paused)` : `${up}${health}`;
  }
  if (st.Status === 'removing') return 'Removal In Progress';
  if (st.Dead) return 'Dead';
  if (st.StartedAt === '0001-01-01T00:00:00Z' || !st.FinishedAt || st.FinishedAt.startsWith('0001'))
    return 'Created';
  return `Exited (${st.ExitCode}) ${humanDuration(now - parse(st.FinishedAt))} ago`;
}

/**
 * The Command dockerd lists: the path, then the arguments, an argument with a space in single
 * quotes as it is (no escaping; an empty one or one with quotes as it is), all joined by spaces.
 */
function listedCommand(path: string, args: readonly string[]): string {
  if (args.length === 0) return path;
  return `${path} ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`;
}

export function summary(rec: ContainerRecord, imageName: string, size?: { rw: number; rootFs: number }) {
  const out: Record<string, unknown> = {
    ...summaryHead(rec, imageName),
    Status: statusText(rec),
    ...summaryTail(rec),
  };
  if (size) {
    out.SizeRw = size.rw;
    out.SizeRootFs = size.rootFs;
  }
  return out;
}

/** summary()'s fields before Status. */
function summaryHead(rec: ContainerRecord, imageName: string) {
  return {
    Id: rec.ID,
    Names: [rec.Name],
    Image: imageName,
    ImageID: rec.Image,
    Command: listedCommand(rec.Path, rec.Args),
    Created: Math.floor(Date.parse(rec.Created) / 1000),
    Ports: portList(rec),
    Labels: rec.Config.Labels ?? {},
    State: rec.State.Status,
  };
}

/**
 * The endpoints as dockerd lists them: the addresses and IDs, the addresses asked for, and no
 * aliases, links, driver options or DNS names (null), which only inspect shows.
 */
function listedNetworks(rec: ContainerRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, e] of Object.entries(rec.NetworkSettings?.Networks ?? {})) {
    const asked = e.IPAMConfig;
    out[name] = {
      IPAMConfig: asked
        ? {
            ...(asked.IPv4Address ? { IPv4Address: asked.IPv4Address } : {}),
            ...(asked.IPv6Address ? { IPv6Address: asked.IPv6Address } : {}),
          }
        : null,
      Links: null,
      Aliases: null,
      MacAddress: e.MacAddress,
      DriverOpts: null,
      NetworkID: e.NetworkID,
      EndpointID: e.EndpointID,
      Gateway: e.Gateway,
      IPAddress: e.IPAddress,
      IPPrefixLen: e.IPPrefixLen,
      IPv6Gateway: e.IPv6Gateway,
      GlobalIPv6Address: e.GlobalIPv6Address,
      GlobalIPv6PrefixLen: e.GlobalIPv6PrefixLen,
      // last: an answer for API < 1.44 drops it as text (api/server/compat.ts)
      DNSNames: null,
    };
  }
  return out;
}

/** summary()'s fields after Status. */
function summaryTail(rec: ContainerRecord) {
  return {
    // as stored (`default` for the default bridge), as dockerd lists it
    HostConfig: { NetworkMode: rec.HostConfig.NetworkMode ?? 'default' },
    NetworkSettings: { Networks: listedNetworks(rec) },
    // no Name or Driver for binds and tmpfs: dockerd omits them when empty
    Mounts: mounts(rec),
  };
}

/**
 * summary() (without sizes) as JSON text in two parts around the value of Status, the one field
 * that moves with the clock (`Up 3 minutes`): `head + JSON.stringify(statusText(rec)) + tail` is
 * JSON.stringify(summary(rec, imageName)). The parts stay valid until the record changes.
 */
export function summaryJsonParts(rec: ContainerRecord, imageName: string): { head: string; tail: string } {
  const head = JSON.stringify(summaryHead(rec, imageName));
  const tail = JSON.stringify(summaryTail(rec));
  return { head: `${head.slice(0, -1)},"Status":`, tail: `,${tail.slice(1)}` };
}
