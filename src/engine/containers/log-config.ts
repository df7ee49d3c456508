// A container's logging driver as dockerd handles it: the drivers berth has checked at create,
// the json-file limits read at start ("failed to initialize logging
// driver: …"), and the attributes `logs --details` puts before each line. berth writes
// json-file logs (native/SHIM.md) or none; Docker's other built-in drivers are refused.

import { invalidArgument, notImplemented } from '../../common/errors.ts';
import { fromHumanSize } from '../../common/govalues.ts';
import type { LogConfig } from '../../spec/docker/api.ts';

/** berth's rotation when neither max-size nor max-file is given (Docker's default is none). */
export const DEFAULT_LOG_MAX_SIZE = 20 * 1024 * 1024;
export const DEFAULT_LOG_MAX_FILES = 5;

/**
 * `HostConfig.LogConfig` at create, after validateCreate (spec/docker/container-validate.ts)
 * refused unknown drivers and json-file options as dockerd does: the drivers berth has —
 * json-file (the default) and none — pass; Docker's other built-in ones (local, syslog, …) and
 * json-file's compress=true are refused, rather than writing a json-file log anyway.
 */
export function checkLogConfig(lc: LogConfig | null | undefined): {
  Type: string;
  Config: Record<string, string>;
} {
  const type = lc?.Type || 'json-file';
  const config = { ...(lc?.Config ?? {}) };
  if (type !== 'json-file' && type !== 'none')
    throw notImplemented(`logging driver ${type} is not supported by berth: use json-file or none`);
  if (type === 'json-file' && /^(1|t|true)$/i.test(config.compress ?? ''))
    throw notImplemented(
      'log opt compress=true is not supported by berth: rotated json-file logs stay plain',
    );
  return { Type: type, Config: config };
}

/**
 * The json-file rotation of a container's options (the daemon's log-opts under the
 * container's), as dockerd's json-file driver reads them at start. Without max-size and
 * max-file, berth's default rotation; max-size alone keeps one file, max-file alone does not
 * rotate (size 0), as in Docker.
 */
export function jsonFileLimits(opts: Record<string, string>): { maxSize: number; maxFiles: number } {
  const fail = (message: string) => invalidArgument(`failed to initialize logging driver: ${message}`);
  if (opts['max-size'] === undefined && opts['max-file'] === undefined)
    return { maxSize: DEFAULT_LOG_MAX_SIZE, maxFiles: DEFAULT_LOG_MAX_FILES };
  let maxSize = 0;
  if (opts['max-size'] !== undefined) {
    try {
      maxSize = fromHumanSize(opts['max-size']);
    } catch (err) {
      throw fail((err as Error).message);
    }
    if (maxSize <= 0) throw fail('max-size must be a positive number');
  }
  let maxFiles = 1;
  const file = opts['max-file'];
  if (file !== undefined) {
    if (!/^[+-]?\d+$/.test(file)) throw fail(`strconv.Atoi: parsing ${JSON.stringify(file)}: invalid syntax`);
    maxFiles = Number(file);
    if (maxFiles < 1) throw fail('max-file cannot be less than 1');
  }
  return { maxSize, maxFiles };
}

/** Go's url.QueryEscape. */
function queryEscape(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export interface LogSource {
  id: string;
  name: string;
  labels: Record<string, string>;
  env: readonly string[];
  image: string;
}

/**
 * What `logs --details` puts before each line: the attributes the json-file driver records with
 * every entry (log opts labels, labels-regex, env, env-regex, tag), `k=v` query-escaped, sorted,
 * joined by commas, then a space (a lone space when there are none), as dockerd does.
 */
export function logDetails(opts: Record<string, string>, src: LogSource): string {
  const attrs = new Map<string, string>();
  for (const l of (opts.labels ?? '').split(',')) if (l && l in src.labels) attrs.set(l, src.labels[l]);
  const labelsRe = goRegex(opts['labels-regex']);
  if (labelsRe) for (const [k, v] of Object.entries(src.labels)) if (labelsRe.test(k)) attrs.set(k, v);
  const env = new Map<string, string>();
  for (const kv of src.env) {
    const i = kv.indexOf('=');
    if (i >= 0) env.set(kv.slice(0, i), kv.slice(i + 1));
  }
  for (const e of (opts.env ?? '').split(',')) if (e && env.has(e)) attrs.set(e, env.get(e)!);
  const envRe = goRegex(opts['env-regex']);
  if (envRe) for (const [k, v] of env) if (envRe.test(k)) attrs.set(k, v);
  if (opts.tag) attrs.set('tag', expandTag(opts.tag, src));
  return `${[...attrs.keys()]
    .sort()
    .map((k) => `${queryEscape(k)}=${queryEscape(attrs.get(k)!)}`)
    .join(',')} `;
}

function goRegex(source: string | undefined): RegExp | undefined {
  if (!source) return undefined;
  try {
    return new RegExp(source);
  } catch {
    return undefined;
  }
}

/** The `tag` option's template fields Docker documents ({{.ID}}, {{.Name}}, …). */
function expandTag(tag: string, src: LogSource): string {
  const fields: Record<string, string> = {
    ID: src.id.slice(0, 12),
    FullID: src.id,
    Name: src.name,
    ImageName: src.image,
  };
  return tag.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (whole, field: string) => fields[field] ?? whole);
}
