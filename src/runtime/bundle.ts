// Reading an OCI bundle: config.json validated, the rootfs present, bind sources looked at.

import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { invalidArgument, notFound } from '../common/errors.ts';
import { type Spec, validateSpec } from '../spec/oci.ts';

export function readSpec(bundle: string): Spec {
  const file = resolve(bundle, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`${file} does not exist`);
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`config.json: invalid JSON: ${(err as Error).message}`);
  }
  return validateSpec(value);
}

/** The rootfs directory, refused when missing or not a directory. */
export function checkRootfs(bundle: string, spec: Spec): string {
  const rootfs = resolve(bundle, spec.root?.path ?? '');
  let isDir = false;
  try {
    isDir = statSync(rootfs).isDirectory();
  } catch {
    throw notFound(`rootfs (${rootfs}) does not exist`);
  }
  if (!isDir) throw invalidArgument(`rootfs (${rootfs}) is not a directory`);
  return rootfs;
}

/** dir or file for each bind-mount source that exists (the planner refuses the others). */
export function bindSources(spec: Spec): Record<string, 'dir' | 'file'> {
  const out: Record<string, 'dir' | 'file'> = {};
  for (const m of spec.mounts ?? []) {
    const bind = m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
    if (!bind || !m.source || m.source in out) continue;
    try {
      out[m.source] = statSync(m.source).isDirectory() ? 'dir' : 'file';
    } catch {
      // left out: the planner names it
    }
  }
  return out;
}
