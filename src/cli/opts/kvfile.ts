// Environment variables and labels from flags and files, as docker/cli's opts: `-e NAME` takes
// NAME's value from the CLI's environment, `--env-file` lines are `NAME=value` or `NAME` (looked
// up, dropped when unset), `#` starts a comment, leading blanks are trimmed, trailing ones kept.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { goFsError } from './fsutil.ts';

export type Lookup = (name: string) => string | undefined;

/** opts.ValidateEnv for one `-e` value. */
export function validateEnv(value: string, lookup: Lookup): string {
  const eq = value.indexOf('=');
  if (eq === 0) throw new Error(`invalid environment variable: ${value}`);
  if (eq > 0) return value;
  const found = lookup(value);
  return found === undefined ? value : `${value}=${found}`;
}

/**
 * Reads a file of `KEY=value` lines (kvfile.Parse). With `lookup`, a line naming a variable
 * without a value takes it from the environment; without, such lines are dropped.
 */
export function parseKeyValueFile(
  file: string,
  cwd: string,
  lookup: Lookup | undefined,
  kind = 'env',
): string[] {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), 'utf8');
  } catch (err) {
    throw goFsError('open', file, err);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const out: string[] = [];
  let n = 0;
  for (const raw of text.split('\n')) {
    n++;
    const line = raw.replace(/\r$/, '').replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    if (line.includes('\ufffd')) {
      throw new Error(
        `invalid ${kind} file (${file}): invalid utf8 bytes at line ${n}: ${JSON.stringify(line)}`,
      );
    }
    const eq = line.indexOf('=');
    const name = eq >= 0 ? line.slice(0, eq) : line;
    if (name === '') throw new Error(`invalid ${kind} file (${file}): no variable name on line '${line}'`);
    if (/\s/.test(name)) {
      throw new Error(`invalid ${kind} file (${file}): variable '${name}' contains whitespaces`);
    }
    if (eq >= 0) out.push(line);
    else if (lookup) {
      const value = lookup(name);
      if (value !== undefined) out.push(`${name}=${value}`);
    }
  }
  return out;
}

/** opts.ReadKVEnvStrings: the env files' variables, then the `-e` ones. */
export function readEnv(
  files: readonly string[],
  env: readonly string[],
  cwd: string,
  lookup: Lookup,
): string[] {
  const out: string[] = [];
  for (const f of files) out.push(...parseKeyValueFile(f, cwd, lookup, 'env'));
  out.push(...env);
  return out;
}

/** `-e` values merged by name, the last one winning, as docker's proxy-config merge leaves them. */
export function mergeEnv(values: readonly string[]): string[] {
  const byName = new Map<string, string>();
  for (const v of values) {
    const eq = v.indexOf('=');
    byName.set(eq >= 0 ? v.slice(0, eq) : v, v);
  }
  return [...byName.values()];
}

/** opts.ConvertKVStringsToMap: `k=v` → {k: v}, `k` → {k: ''}. */
export function kvMap(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq >= 0) out[v.slice(0, eq)] = v.slice(eq + 1);
    else out[v] = '';
  }
  return out;
}

/** Labels from `--label-file`s, then `-l` values. */
export function readLabels(files: readonly string[], labels: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  for (const f of files) out.push(...parseKeyValueFile(f, cwd, undefined, 'label'));
  out.push(...labels);
  return out;
}
