// OCI mount options -> mount(2) flags, propagation and file-system data, as runc reads them.

import { invalidArgument } from '../common/errors.ts';
import { PROPAGATION_MODES } from '../spec/oci.ts';
import type { PropagationMode } from './types.ts';

/** Flags berth-exec knows (native/PLAN.md `mount`). */
const SET: Record<string, string> = {
  ro: 'ro',
  nosuid: 'nosuid',
  nodev: 'nodev',
  noexec: 'noexec',
  sync: 'sync',
  dirsync: 'dirsync',
  mand: 'mand',
  noatime: 'noatime',
  nodiratime: 'nodiratime',
  relatime: 'relatime',
  strictatime: 'strictatime',
  lazytime: 'lazytime',
  silent: 'silent',
};
/** Options that clear a flag (the default state). */
const CLEAR: Record<string, string> = {
  rw: 'ro',
  suid: 'nosuid',
  dev: 'nodev',
  exec: 'noexec',
  async: 'sync',
  nomand: 'mand',
  atime: 'noatime',
  diratime: 'nodiratime',
  norelatime: 'relatime',
  nostrictatime: 'strictatime',
  nolazytime: 'lazytime',
  loud: 'silent',
};
const PROPAGATION = new Set<string>(PROPAGATION_MODES);
/** runc-specific or id-mapping options berth accepts and does not act on. */
const IGNORED = new Set(['tmpcopyup', 'remount', 'defaults', 'idmap', 'ridmap', 'nosymfollow']);

export interface MountOptions {
  bind: boolean;
  recursive: boolean;
  flags: string[];
  propagation: PropagationMode[];
  data: string[];
}

export function parseMountOptions(options: readonly string[] | undefined, where: string): MountOptions {
  const out: MountOptions = { bind: false, recursive: false, flags: [], propagation: [], data: [] };
  const flags = new Set<string>();
  for (const raw of options ?? []) {
    if (typeof raw !== 'string' || raw === '') throw invalidArgument(`${where}: empty mount option`);
    if (raw === 'bind') out.bind = true;
    else if (raw === 'rbind') {
      out.bind = true;
      out.recursive = true;
    } else if (raw in SET) flags.add(SET[raw]);
    else if (raw in CLEAR) flags.delete(CLEAR[raw]);
    else if (PROPAGATION.has(raw)) out.propagation.push(raw as PropagationMode);
    else if (IGNORED.has(raw)) continue;
    else out.data.push(raw);
  }
  out.flags = [...flags];
  return out;
}
