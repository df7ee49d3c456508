// `HostConfig.Binds` (`-v`), `HostConfig.Mounts` (`--mount`) and `HostConfig.Tmpfs` (`--tmpfs`):
// parsed and checked the way dockerd's volume/mounts Linux parser does (same error texts), and
// turned into OCI mounts the way daemon/oci_linux.go WithMounts does. Named and anonymous volumes
// are recognised and reported as not implemented by the callers.

import { posix } from 'node:path';
import { BerthError, invalidArgument, notImplemented } from '../../common/errors.ts';
import type { Mount as OciMount } from '../oci.ts';
import type { HostConfig, Mount } from './api.ts';

/** One mount of the container as Docker records it (its MountPoint). */
export interface MountPoint {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Host path (bind), volume name ('' = anonymous volume), '' (tmpfs). */
  source: string;
  /** Cleaned absolute path in the container. */
  destination: string;
  readOnly: boolean;
  /** Bind propagation; Docker's default is rprivate (rslave for a source by the daemon root). */
  propagation?: string;
  /** The propagation was given (`-v …:rshared`, bind-propagation=), not defaulted. */
  propagationGiven?: boolean;
  /** `bind` instead of `rbind`. */
  nonRecursive?: boolean;
  /** Bind: a missing source is created as a directory (`-v`, BindOptions.CreateMountpoint). */
  createSource?: boolean;
  /** Tmpfs: the mount data (`size=64m,mode=1777,noexec`). */
  tmpfsData?: string;
  /** Where it came from, and the raw text or target (for error messages). */
  origin: 'Binds' | 'Mounts' | 'Tmpfs';
  spec: string;
}

const RW_MODES = new Set(['rw', 'ro', 'ro-non-recursive', 'ro-force-recursive', 'rro']);
const RO_MODES = new Set(['ro', 'ro-non-recursive', 'ro-force-recursive', 'rro']);
const LABEL_MODES = new Set(['z', 'Z']);
export const BIND_PROPAGATIONS: ReadonlySet<string> = new Set([
  'private',
  'rprivate',
  'slave',
  'rslave',
  'shared',
  'rshared',
]);
const COPY_MODES = new Set(['nocopy']);
const CONSISTENCY_MODES = new Set(['consistent', 'cached', 'delegated']);
export const DEFAULT_PROPAGATION = 'rprivate';

/** Go's path.Clean for absolute or relative slash paths. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** A `-v` mode list (`ro,Z,rslave`): each word known, at most one of each kind. */
export function validMountMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = [0, 0, 0, 0, 0];
  for (const o of mode.split(',')) {
    const kind = RW_MODES.has(o)
      ? 0
      : LABEL_MODES.has(o)
        ? 1
        : BIND_PROPAGATIONS.has(o)
          ? 2
          : COPY_MODES.has(o)
            ? 3
            : CONSISTENCY_MODES.has(o)
              ? 4
              : -1;
    if (kind < 0 || ++counts[kind] > 1) return false;
  }
  return true;
}

const mountConfigError = (type: string | undefined, message: string) =>
  invalidArgument(`invalid mount config for type ${JSON.stringify(type ?? '')}: ${message}`);

function checkTarget(type: string | undefined, target: string | undefined): void {
  if (!target) throw mountConfigError(type, 'field Target must not be empty');
  if (cleanPath(target.replaceAll('\\', '/')) === '/') {
    throw mountConfigError(type, "invalid specification: destination can't be '/'");
  }
  if (!target.startsWith('/')) {
    throw mountConfigError(type, `invalid mount path: '${target}' mount path must be absolute`);
  }
}

/** `--tmpfs` destinations: not `/`, absolute (errors not wrapped, as dockerd returns them). */
export function checkTmpfsDestination(dest: string): void {
  if (cleanPath(dest) === '/') throw invalidArgument("invalid specification: destination can't be '/'");
  if (!dest.startsWith('/'))
    throw invalidArgument(`invalid mount path: '${dest}' mount path must be absolute`);
}

const TMPFS_OPTION_WORDS = new Set(['exec', 'noexec']);

/** `TmpfsOptions` + `ReadOnly` -> mount data, as dockerd's ConvertTmpfsOptions (size with g/m/k). */
export function tmpfsData(opt: Mount['TmpfsOptions'], readOnly: boolean): string {
  const out: string[] = [];
  if (readOnly) out.push('ro');
  if (opt?.Mode) out.push(`mode=${opt.Mode.toString(8)}`);
  if (opt?.SizeBytes) {
    let size = opt.SizeBytes;
    let suffix = '';
    for (const [s, d] of [
      ['g', 2 ** 30],
      ['m', 2 ** 20],
      ['k', 2 ** 10],
    ] as const) {
      if (size % d === 0) {
        size /= d;
        suffix = s;
        break;
      }
    }
    out.push(`size=${size}${suffix}`);
  }
  for (const o of opt?.Options ?? []) {
    if (!Array.isArray(o) || o.length < 1 || o.length > 2)
      throw invalidArgument('invalid option array length');
    if (!TMPFS_OPTION_WORDS.has(o[0])) throw invalidArgument(`invalid option: ${o[0]}`);
    out.push(o.length === 1 ? o[0] : `${o[0]}=${o[1]}`);
  }
  return out.join(',');
}

/**
 * One `HostConfig.Mounts` entry, checked as dockerd's ValidateMountConfig (every error is
 * `invalid mount config for type "bind": …`). A bind source's existence is the engine's to check
 * (`bindSources`).
 */
export function parseMount(m: Mount): MountPoint {
  const type = m.Type;
  checkTarget(type, m.Target);
  const target = m.Target as string;
  const base = {
    destination: cleanPath(target),
    readOnly: !!m.ReadOnly,
    origin: 'Mounts' as const,
    spec: target,
  };
  switch (type) {
    case 'bind': {
      if (!m.Source) throw mountConfigError(type, 'field Source must not be empty');
      const prop = m.BindOptions?.Propagation;
      if (prop && !BIND_PROPAGATIONS.has(prop))
        throw mountConfigError(type, `invalid propagation mode: ${prop}`);
      if (m.VolumeOptions) throw mountConfigError(type, 'field VolumeOptions must not be specified');
      if (m.TmpfsOptions) throw mountConfigError(type, 'field TmpfsOptions must not be specified');
      if (!m.Source.startsWith('/')) {
        throw mountConfigError(type, `invalid mount path: '${m.Source}' mount path must be absolute`);
      }
      return {
        ...base,
        type: 'bind',
        source: cleanPath(m.Source),
        propagation: prop || DEFAULT_PROPAGATION,
        ...(prop ? { propagationGiven: true } : {}),
        nonRecursive: !!m.BindOptions?.NonRecursive,
        createSource: !!m.BindOptions?.CreateMountpoint,
      };
    }
    case 'volume': {
      if (m.BindOptions) throw mountConfigError(type, 'field BindOptions must not be specified');
      if (m.TmpfsOptions) throw mountConfigError(type, 'field TmpfsOptions must not be specified');
      const anonymous = !m.Source;
      const subpath = m.VolumeOptions?.Subpath;
      if (subpath && anonymous)
        throw mountConfigError(type, 'must not set Subpath when using anonymous volumes');
      if (m.ReadOnly && anonymous) {
        throw mountConfigError(type, 'must not set ReadOnly mode when using anonymous volumes');
      }
      return { ...base, type: 'volume', source: m.Source ?? '' };
    }
    case 'tmpfs': {
      if (m.BindOptions) throw mountConfigError(type, 'field BindOptions must not be specified');
      if (m.VolumeOptions) throw mountConfigError(type, 'field VolumeOptions must not be specified');
      if (m.Source) throw mountConfigError(type, 'field Source must not be specified');
      let data: string;
      try {
        data = tmpfsData(m.TmpfsOptions, !!m.ReadOnly);
      } catch (err) {
        throw mountConfigError(type, (err as Error).message);
      }
      return { ...base, type: 'tmpfs', source: '', tmpfsData: data };
    }
    default:
      throw mountConfigError(type, 'mount type unknown');
  }
}

/**
 * One `-v` entry, as dockerd's ParseMountRaw: `dest` (anonymous volume), `src:dest`,
 * `src:dest:mode`. An absolute `src` is a bind, anything else a named volume. Errors:
 * `invalid volume specification: '…'`, `invalid mode: …`, or the mount config error wrapped in
 * the former.
 */
export function parseBind(raw: string): MountPoint {
  const parts = raw.split(':');
  if (parts[0] === '' || parts.length > 3) throw invalidArgument(`invalid volume specification: '${raw}'`);
  let source = '';
  let target: string;
  let mode = '';
  if (parts.length === 1) target = parts[0];
  else if (parts.length === 2) {
    if (validMountMode(parts[1])) throw invalidArgument(`invalid volume specification: '${raw}'`);
    [source, target] = parts;
  } else [source, target, mode] = parts;
  if (!validMountMode(mode)) throw invalidArgument(`invalid mode: ${mode}`);

  const words = mode === '' ? [] : mode.split(',');
  const readOnly = words.some((w) => RO_MODES.has(w));
  const propagation = words.find((w) => BIND_PROPAGATIONS.has(w));
  const noCopy = words.includes('nocopy');
  const isBind = source.startsWith('/');
  try {
    if (isBind) {
      if (noCopy) throw mountConfigError('bind', 'field VolumeOptions must not be specified');
      const mp = parseMount({
        Type: 'bind',
        Source: source,
        Target: target,
        ReadOnly: readOnly,
        BindOptions: propagation ? { Propagation: propagation } : undefined,
      });
      return { ...mp, createSource: true, origin: 'Binds', spec: raw };
    }
    if (propagation) throw mountConfigError('volume', 'field BindOptions must not be specified');
    const mp = parseMount({ Type: 'volume', Source: source, Target: target, ReadOnly: readOnly });
    return { ...mp, origin: 'Binds', spec: raw };
  } catch (err) {
    if (err instanceof BerthError)
      throw invalidArgument(`invalid volume specification: '${raw}': ${err.message}`);
    throw err;
  }
}

/** Whether `a` is `b`, above it or inside it (absolute clean paths). */
function nested(a: string, b: string): boolean {
  const under = (x: string, y: string) => x === y || y === '/' || x.startsWith(`${y}/`);
  return under(a, b) || under(b, a);
}

/**
 * dockerd's rule for a bind whose source is the daemon's data root, inside it or above it (`-v
 * /:/host`): rslave unless given, so that what the daemon unmounts there leaves the container's
 * copy too, and only rslave or rshared may be given.
 */
function byDaemonRoot(mp: MountPoint, root: string): MountPoint {
  if (mp.type !== 'bind' || !nested(mp.source, root)) return mp;
  if (!mp.propagationGiven) return { ...mp, propagation: 'rslave' };
  if (mp.propagation === 'rslave' || mp.propagation === 'rshared') return mp;
  throw invalidArgument(
    `invalid mount config: must use either propagation mode "rslave" or "rshared" when mount source is within the daemon root, daemon root: ${JSON.stringify(root)}, bind mount source: ${JSON.stringify(mp.source)}, propagation: ${JSON.stringify(mp.propagation)}`,
  );
}

/**
 * Every mount point of `Binds`, `Mounts` and `Tmpfs`, in that order, with dockerd's checks,
 * including `Duplicate mount point: /x` across the three; with `daemonRoot` (the data root),
 * dockerd's propagation rule for binds of it (byDaemonRoot).
 */
export function containerMountPoints(hc: HostConfig, daemonRoot?: string): MountPoint[] {
  const points = mountPoints(hc);
  return daemonRoot ? points.map((mp) => byDaemonRoot(mp, cleanPath(daemonRoot))) : points;
}

function mountPoints(hc: HostConfig): MountPoint[] {
  const out: MountPoint[] = [];
  const tmpfs = Object.entries(hc.Tmpfs ?? {});
  const tmpfsDests = new Set(tmpfs.map(([d]) => cleanPath(d)));
  const seen = new Set<string>();
  const add = (mp: MountPoint, shown: string) => {
    if (seen.has(mp.destination) || (mp.origin !== 'Tmpfs' && tmpfsDests.has(mp.destination))) {
      throw invalidArgument(`Duplicate mount point: ${shown}`);
    }
    seen.add(mp.destination);
    out.push(mp);
  };
  for (const raw of hc.Binds ?? []) {
    const mp = parseBind(raw);
    add(mp, mp.destination);
  }
  for (const m of hc.Mounts ?? []) add(parseMount(m), m.Target ?? '');
  for (const [dest, data] of tmpfs) {
    checkTmpfsDestination(dest);
    mergeTmpfsOptions(tmpfsOptions(data ?? ''));
    add(
      {
        type: 'tmpfs',
        source: '',
        destination: cleanPath(dest),
        readOnly: false,
        tmpfsData: data ?? '',
        origin: 'Tmpfs',
        spec: dest,
      },
      dest,
    );
  }
  return out;
}

/** Throws NotImplemented for named and anonymous volumes, which berth does not have yet. */
export function rejectVolumes(points: readonly MountPoint[]): void {
  for (const mp of points) {
    if (mp.type !== 'volume') continue;
    if (mp.origin === 'Binds') {
      throw notImplemented(
        mp.source
          ? `named volumes are not supported yet: -v ${mp.spec} (bind a host directory with an absolute path instead)`
          : `anonymous volumes are not supported yet: -v ${mp.spec}`,
      );
    }
    throw notImplemented(`volume mounts are not supported yet: --mount type=volume,target=${mp.spec}`);
  }
}

/** Bind sources the engine must look at before starting: create them, or fail with `missingError`. */
export interface BindSource {
  path: string;
  /** Create a missing source as a directory (0755) instead of failing. */
  create: boolean;
  /** The InvalidArgument message when the source is missing and `create` is false. */
  missingError: string;
}

export function bindSources(hc: HostConfig): BindSource[] {
  return containerMountPoints(hc)
    .filter((mp) => mp.type === 'bind')
    .map((mp) => ({
      path: mp.source,
      create: !!mp.createSource,
      missingError: `invalid mount config for type "bind": bind source path does not exist: ${mp.source}`,
    }));
}

// ---- tmpfs option merging (moby/sys/mount MergeTmpfsOptions) --------------------------------

/** Mount flags by the bit they set or clear; propagation flags share one key. */
const FLAG_KEY: Record<string, string> = {
  ro: 'rdonly',
  rw: 'rdonly',
  suid: 'nosuid',
  nosuid: 'nosuid',
  dev: 'nodev',
  nodev: 'nodev',
  exec: 'noexec',
  noexec: 'noexec',
  sync: 'sync',
  async: 'sync',
  dirsync: 'dirsync',
  remount: 'remount',
  mand: 'mand',
  nomand: 'mand',
  atime: 'noatime',
  noatime: 'noatime',
  diratime: 'nodiratime',
  nodiratime: 'nodiratime',
  bind: 'bind',
  rbind: 'rbind',
  relatime: 'relatime',
  norelatime: 'relatime',
  strictatime: 'strictatime',
  nostrictatime: 'strictatime',
  private: 'propagation',
  rprivate: 'propagation',
  shared: 'propagation',
  rshared: 'propagation',
  slave: 'propagation',
  rslave: 'propagation',
  unbindable: 'propagation',
  runbindable: 'propagation',
};
const TMPFS_DATA_KEYS = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol']);

const tmpfsOptions = (data: string) => (data === '' ? [] : data.split(','));

/** Later options win over earlier ones that set the same flag or data key; order is kept. */
export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const flags = new Set<string>();
  const data = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const o = options[i];
    if (o === 'defaults') continue;
    const key = FLAG_KEY[o];
    if (key !== undefined) {
      if (!flags.has(key)) {
        out.unshift(o);
        flags.add(key);
      }
      continue;
    }
    const eq = o.indexOf('=');
    const name = eq < 0 ? o : o.slice(0, eq);
    if (eq < 0 || !TMPFS_DATA_KEYS.has(name)) {
      const shown = eq < 0 ? [o] : [name, o.slice(eq + 1)];
      throw invalidArgument(`invalid tmpfs option [${shown.map((s) => JSON.stringify(s)).join(' ')}]`);
    }
    if (!data.has(name)) {
      out.unshift(o);
      data.add(name);
    }
  }
  return out;
}

/** A mount point as the OCI mount dockerd writes (binds: rbind, ro, propagation; tmpfs: merged options). */
export function ociMount(mp: MountPoint): OciMount {
  if (mp.type === 'tmpfs') {
    return {
      destination: mp.destination,
      type: 'tmpfs',
      source: 'tmpfs',
      options: mergeTmpfsOptions([
        'noexec',
        'nosuid',
        'nodev',
        DEFAULT_PROPAGATION,
        ...tmpfsOptions(mp.tmpfsData ?? ''),
      ]),
    };
  }
  const options = [mp.nonRecursive ? 'bind' : 'rbind'];
  if (mp.readOnly) options.push('ro');
  options.push(mp.propagation ?? DEFAULT_PROPAGATION);
  return { destination: mp.destination, type: 'bind', source: mp.source, options };
}

/** `linux.rootfsPropagation` for these binds: shared for [r]shared, rslave for [r]slave (dockerd's rule). */
export function rootfsPropagationFor(points: readonly MountPoint[]): 'shared' | 'rslave' | undefined {
  let out: 'shared' | 'rslave' | undefined;
  for (const mp of points) {
    if (mp.type !== 'bind') continue;
    if (mp.propagation === 'shared' || mp.propagation === 'rshared') out = 'shared';
    else if ((mp.propagation === 'slave' || mp.propagation === 'rslave') && out === undefined) out = 'rslave';
  }
  return out;
}
