// -v / --volume, --mount and --tmpfs as the docker CLI reads them. A -v spec with a source is a
// bind (HostConfig.Binds, the spec as written; `./x` made absolute), one without is an anonymous
// volume (Config.Volumes). --mount is a CSV list of key=value fields (opts.MountOpt).

import { resolve } from 'node:path';
import { parseGoBool, parseGoUint, ramInBytes } from '../../common/govalues.ts';

export interface VolumeSpec {
  type: 'bind' | 'volume';
  source: string;
  target: string;
}

const END = '\0';

const isDrive = (buffer: string, ch: string) => ch === ':' && buffer.length === 1 && /\p{L}/u.test(buffer);

function isFilePath(source: string): boolean {
  if (source === '') return false;
  if ('./~'.includes(source[0]) || source.startsWith('\\\\')) return true;
  const first = [...source][0];
  return isDrive(first, source[first.length] ?? '');
}

/** The compose loader's ParseVolume (which docker run uses to tell binds from volumes). */
export function parseVolumeSpec(spec: string): VolumeSpec {
  if (spec.length === 0) throw new Error('invalid empty volume spec');
  if (spec.length <= 2) return { type: 'volume', source: '', target: spec };
  let source = '';
  let target = '';
  let buffer = '';
  for (const ch of spec + END) {
    if (isDrive(buffer, ch)) buffer += ch;
    else if (ch === ':' || ch === END) {
      let err: string | undefined;
      if (buffer.length === 0) err = 'empty section between colons';
      else if (source === '' && ch === END) target = buffer;
      else if (source === '') source = buffer;
      else if (target === '') target = buffer;
      else if (ch === ':') err = 'too many colons';
      if (err) throw new Error(`invalid spec: ${spec}: ${err}`);
      buffer = '';
    } else buffer += ch;
  }
  return { type: source !== '' && isFilePath(source) ? 'bind' : 'volume', source, target };
}

/** -v values: binds (relative `./` sources made absolute against cwd) and anonymous volumes. */
export function parseVolumes(
  specs: readonly string[],
  cwd: string,
): { binds: string[]; volumes: Record<string, Record<string, never>> } {
  const binds: string[] = [];
  const volumes: Record<string, Record<string, never>> = {};
  for (const spec of specs) {
    const parsed = parseVolumeSpec(spec);
    if (parsed.source === '') {
      volumes[spec] = {};
      continue;
    }
    let bind = spec;
    const colon = spec.indexOf(':');
    if (parsed.type === 'bind' && colon >= 0) {
      const host = spec.slice(0, colon);
      if (!host.startsWith('/') && host.startsWith('.')) bind = resolve(cwd, host) + spec.slice(colon);
    }
    if (!binds.includes(bind)) binds.push(bind);
  }
  return { binds, volumes };
}

export interface Mount {
  Type: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: {
    Propagation?: string;
    NonRecursive?: boolean;
    ReadOnlyNonRecursive?: boolean;
    ReadOnlyForceRecursive?: boolean;
  };
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string>;
    Subpath?: string;
    DriverConfig?: { Name?: string; Options?: Record<string, string> };
  };
  ImageOptions?: { Subpath?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** Go's encoding/csv for one line: commas separate, double quotes quote, `""` is a quote. */
export function splitCSV(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length)
          throw new Error(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      if (i < line.length && line[i] !== ',') {
        throw new Error(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
      }
    } else {
      while (i < line.length && line[i] !== ',') {
        if (line[i] === '"')
          throw new Error(`parse error on line 1, column ${i + 1}: bare " in non-quoted-field`);
        field += line[i++];
      }
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++;
  }
}

/** One --mount value (opts.MountOpt.Set). */
export function parseMount(value: string, cwd: string): Mount {
  const mount: Mount = { Type: 'volume' };
  const volumeOptions = () => {
    mount.VolumeOptions ??= { Labels: {} };
    mount.VolumeOptions.DriverConfig ??= {};
    return mount.VolumeOptions;
  };
  const bindOptions = () => (mount.BindOptions ??= {});
  const tmpfsOptions = () => (mount.TmpfsOptions ??= {});
  const setOnMap = (target: Record<string, string>, kv: string) => {
    const eq = kv.indexOf('=');
    const k = eq >= 0 ? kv.slice(0, eq) : kv;
    if (k !== '') target[k] = eq >= 0 ? kv.slice(eq + 1) : '';
  };
  const bool = (key: string, val: string) => {
    try {
      return parseGoBool(val);
    } catch {
      throw new Error(`invalid value for ${key}: ${val}`);
    }
  };
  for (const field of splitCSV(value)) {
    const eq = field.indexOf('=');
    if (eq < 0) {
      if (field === 'readonly' || field === 'ro') mount.ReadOnly = true;
      else if (field === 'volume-nocopy') volumeOptions().NoCopy = true;
      else if (field === 'bind-nonrecursive') bindOptions().NonRecursive = true;
      else throw new Error(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    const key = field.slice(0, eq);
    const val = field.slice(eq + 1);
    switch (key) {
      case 'type':
        mount.Type = val.toLowerCase();
        break;
      case 'source':
      case 'src':
        mount.Source = val === '.' || val.startsWith('./') ? resolve(cwd, val) : val;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.Target = val;
        break;
      case 'readonly':
      case 'ro':
        mount.ReadOnly = bool(key, val);
        break;
      case 'consistency':
        mount.Consistency = val.toLowerCase();
        break;
      case 'bind-propagation':
        bindOptions().Propagation = val.toLowerCase();
        break;
      case 'bind-nonrecursive':
        bindOptions().NonRecursive = bool(key, val);
        break;
      case 'bind-recursive':
        if (val === 'disabled') bindOptions().NonRecursive = true;
        else if (val === 'writable') bindOptions().ReadOnlyNonRecursive = true;
        else if (val === 'readonly') bindOptions().ReadOnlyForceRecursive = true;
        else if (val === 'enabled') bindOptions();
        else {
          throw new Error(
            `invalid value for ${key}: ${val} (must be "enabled", "disabled", "writable", or "readonly")`,
          );
        }
        break;
      case 'volume-subpath':
        volumeOptions().Subpath = val;
        break;
      case 'volume-nocopy':
        try {
          volumeOptions().NoCopy = parseGoBool(val);
        } catch {
          throw new Error(`invalid value for volume-nocopy: ${val}`);
        }
        break;
      case 'volume-label':
        setOnMap(volumeOptions().Labels!, val);
        break;
      case 'volume-driver':
        volumeOptions().DriverConfig!.Name = val;
        break;
      case 'volume-opt':
        volumeOptions().DriverConfig!.Options ??= {};
        setOnMap(volumeOptions().DriverConfig!.Options!, val);
        break;
      case 'image-subpath':
        mount.ImageOptions = { ...mount.ImageOptions, Subpath: val };
        break;
      case 'tmpfs-size':
        try {
          tmpfsOptions().SizeBytes = ramInBytes(val);
        } catch {
          throw new Error(`invalid value for ${key}: ${val}`);
        }
        break;
      case 'tmpfs-mode':
        try {
          tmpfsOptions().Mode = parseGoUint(val, 32, 8);
        } catch {
          throw new Error(`invalid value for ${key}: ${val}`);
        }
        break;
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (mount.Type === '') throw new Error('type is required');
  if (!mount.Target) throw new Error('target is required');
  if (mount.VolumeOptions && mount.Type !== 'volume') {
    throw new Error(`cannot mix 'volume-*' options with mount type '${mount.Type}'`);
  }
  if (mount.ImageOptions && mount.Type !== 'image') {
    throw new Error(`cannot mix 'image-*' options with mount type '${mount.Type}'`);
  }
  if (mount.BindOptions && mount.Type !== 'bind') {
    throw new Error(`cannot mix 'bind-*' options with mount type '${mount.Type}'`);
  }
  if (mount.TmpfsOptions && mount.Type !== 'tmpfs') {
    throw new Error(`cannot mix 'tmpfs-*' options with mount type '${mount.Type}'`);
  }
  const b = mount.BindOptions;
  if (b?.ReadOnlyNonRecursive && !mount.ReadOnly) {
    throw new Error("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction");
  }
  if (b?.ReadOnlyForceRecursive) {
    if (!mount.ReadOnly) {
      throw new Error("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction");
    }
    if (b.Propagation !== 'rprivate') {
      throw new Error(
        "option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction",
      );
    }
  }
  if (mount.VolumeOptions?.Labels && Object.keys(mount.VolumeOptions.Labels).length === 0) {
    delete mount.VolumeOptions.Labels;
  }
  return mount;
}

/** --tmpfs values: `/run` or `/run:rw,size=64m` → {"/run": "rw,size=64m"}. */
export function parseTmpfs(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of values) {
    const colon = t.indexOf(':');
    if (colon >= 0) out[t.slice(0, colon)] = t.slice(colon + 1);
    else out[t] = '';
  }
  return out;
}
