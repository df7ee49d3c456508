// Small synchronous helpers for cgroup files: cgroupfs reads and writes are cheap and never
// block on I/O, so the drivers use sync fs and stay simple.

import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { internal, invalidArgument, notFound } from '../../common/errors.ts';

type ErrnoError = Error & { code?: string };

export const errnoOf = (err: unknown): string | undefined => (err as ErrnoError)?.code;

/** Writes `value` in one write(2); errors name the file and the value. */
export function writeCgroupFile(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch (err) {
    const code = errnoOf(err);
    const msg = `cgroup: write ${JSON.stringify(value)} to ${path}: ${code ?? String(err)}`;
    if (code === 'ENOENT') throw notFound(msg, err);
    if (code === 'EINVAL' || code === 'ERANGE' || code === 'EBUSY' || code === 'EOPNOTSUPP')
      throw invalidArgument(msg, err);
    throw internal(msg, err);
  }
}

/** The file's text, or undefined when it does not exist. */
export function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENODEV') return undefined;
    throw err;
  }
}

/** A single-number file; `max` reads as `max`; missing as undefined. */
export function readNumber(path: string): number | undefined {
  const text = readOptional(path)?.trim();
  if (text === undefined || text === '') return undefined;
  return text === 'max' ? Number.POSITIVE_INFINITY : Number(text);
}

/** `key value` lines (memory.stat, cpu.stat, memory.events …). */
export function readKeyed(path: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (readOptional(path) ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined) out[key] = Number(value);
  }
  return out;
}

/** Pids listed in a cgroup.procs file and in every descendant's. */
export function procsRecursive(dir: string, into: Set<number>): void {
  for (const line of (readOptional(`${dir}/cgroup.procs`) ?? '').split('\n'))
    if (line) into.add(Number(line));
  for (const sub of subdirs(dir)) procsRecursive(sub, into);
}

/** Child cgroups of dir (none when dir is missing). */
export function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `${dir}/${e.name}`);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return [];
    throw err;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** rmdir dir and its child cgroups, deepest first; retries EBUSY (exiting tasks) for about a second. */
export async function removeTree(dir: string): Promise<void> {
  if (tryRmdir(dir)) return; // the usual case: no child cgroups, no tasks
  for (const sub of subdirs(dir)) await removeTree(sub);
  for (let attempt = 0; ; attempt++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt >= 100)
        throw internal(`cgroup: rmdir ${dir}: ${code ?? String(err)}`, err);
    }
    await sleep(10);
  }
}

/** rmdir dir: true when it is gone, false when it is busy (tasks or child cgroups in it). */
export function tryRmdir(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT') return true;
    if (code === 'EBUSY' || code === 'ENOTEMPTY') return false;
    throw internal(`cgroup: rmdir ${dir}: ${code ?? String(err)}`, err);
  }
}

export function mkdirCgroup(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw internal(`cgroup: mkdir ${dir}: ${errnoOf(err) ?? String(err)}`, err);
  }
}
