// `--change` instructions for import and commit (moby's BuildFromConfig): CMD, ENTRYPOINT,
// HEALTHCHECK, ENV, EXPOSE, LABEL, USER, WORKDIR, VOLUME, ONBUILD applied to a container config
// (dockerd's list: STOPSIGNAL, ARG, SHELL and the rest are refused).

import { posix } from 'node:path';
import { invalidArgument } from '../../common/errors.ts';
import { parseGoDuration } from '../../common/govalues.ts';
import type { ContainerConfig, HealthConfig } from '../types.ts';

const VALID = new Set([
  'CMD',
  'ENTRYPOINT',
  'HEALTHCHECK',
  'ENV',
  'EXPOSE',
  'LABEL',
  'USER',
  'WORKDIR',
  'VOLUME',
  'ONBUILD',
]);

/** `HEALTHCHECK NONE` or `HEALTHCHECK [--interval=… --timeout=… --start-period=… --retries=N] CMD …`. */
function healthcheck(rest: string): HealthConfig {
  let r = rest;
  const opts: Record<string, string> = {};
  for (let m = /^--([a-z-]+)=(\S*)\s*/.exec(r); m; m = /^--([a-z-]+)=(\S*)\s*/.exec(r)) {
    if (!['interval', 'timeout', 'start-period', 'start-interval', 'retries'].includes(m[1]))
      throw invalidArgument(`Unknown flag: ${m[1]}`);
    opts[m[1]] = m[2];
    r = r.slice(m[0].length);
  }
  const kind = /^(\S+)\s*([\s\S]*)$/.exec(r);
  if (!kind) throw invalidArgument('HEALTHCHECK requires at least one argument');
  const type = kind[1].toUpperCase();
  if (type === 'NONE') {
    if (kind[2] || Object.keys(opts).length) throw invalidArgument('HEALTHCHECK NONE takes no arguments');
    return { Test: ['NONE'] };
  }
  if (type !== 'CMD') throw invalidArgument(`Unknown type "${type}" in HEALTHCHECK (try CMD)`);
  if (!kind[2]) throw invalidArgument('Missing command after HEALTHCHECK CMD');
  const argv = jsonArray(kind[2]);
  const hc: HealthConfig = { Test: argv ? ['CMD', ...argv] : ['CMD-SHELL', kind[2]] };
  const duration = (flag: string, field: 'Interval' | 'Timeout' | 'StartPeriod' | 'StartInterval') => {
    if (opts[flag] === undefined) return;
    let ns: number;
    try {
      ns = parseGoDuration(opts[flag]);
    } catch (err) {
      throw invalidArgument((err as Error).message);
    }
    if (ns !== 0 && ns < 1e6) throw invalidArgument(`Interval "${flag}" cannot be less than 1ms`);
    if (ns) hc[field] = ns;
  };
  duration('interval', 'Interval');
  duration('timeout', 'Timeout');
  duration('start-period', 'StartPeriod');
  duration('start-interval', 'StartInterval');
  if (opts.retries !== undefined) {
    if (!/^[+-]?\d+$/.test(opts.retries))
      throw invalidArgument(`strconv.ParseInt: parsing ${JSON.stringify(opts.retries)}: invalid syntax`);
    const n = Number(opts.retries);
    if (n < 0) throw invalidArgument(`--retries cannot be negative (${n})`);
    if (n) hc.Retries = n;
  }
  return hc;
}

/** A JSON array of strings (`["a","b"]`), or undefined for shell form. */
function jsonArray(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(rest);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  } catch {
    // shell form after all
  }
  return undefined;
}

/** Splits words honouring quotes and backslashes, expanding $VAR/${VAR} from env. */
function words(s: string, env: Map<string, string>): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else if (c === '$' && quote === '"') i = expand(s, i, env, (v) => (cur += v));
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (c === '$') {
      i = expand(s, i, env, (v) => (cur += v));
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote) throw invalidArgument(`unexpected end of statement while looking for matching ${quote}`);
  if (has || cur) out.push(cur);
  return out;
}

function expand(s: string, i: number, env: Map<string, string>, emit: (v: string) => void): number {
  const braced = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(s.slice(i));
  const bare = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(s.slice(i));
  const m = braced ?? bare;
  if (!m) {
    emit('$');
    return i;
  }
  emit(env.get(m[1]) ?? '');
  return i + m[0].length - 1;
}

/** key=value pairs, or the legacy `KEY value with spaces` form of one pair. */
function pairs(cmd: string, rest: string, env: Map<string, string>): [string, string][] {
  const ws = words(rest, env);
  if (ws.length === 0) throw invalidArgument(`${cmd} requires at least one argument`);
  if (!ws[0].includes('=')) {
    if (ws.length < 2) throw invalidArgument(`${cmd} must have two arguments`);
    return [[ws[0], ws.slice(1).join(' ')]];
  }
  return ws.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0)
      throw invalidArgument(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

function ports(specs: string[]): string[] {
  const out: string[] = [];
  for (const spec of specs) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
    if (!m) throw invalidArgument(`invalid containerPort: ${spec}`);
    const lo = Number(m[1]);
    const hi = m[2] ? Number(m[2]) : lo;
    if (hi < lo || hi > 65535) throw invalidArgument(`invalid port range: ${spec}`);
    for (let p = lo; p <= hi; p++) out.push(`${p}/${(m[3] ?? 'tcp').toLowerCase()}`);
  }
  return out;
}

/** Applies `--change` lines to a copy of `base`. Throws InvalidArgument in Docker's words. */
export function applyChanges(base: ContainerConfig, changes: string[]): ContainerConfig {
  const c: ContainerConfig = structuredClone(base);
  let cmdSet = false;
  const env = () =>
    new Map((c.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  for (const raw of changes) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line)!;
    const cmd = m[1].toUpperCase();
    const rest = m[2].trim();
    if (!VALID.has(cmd)) throw invalidArgument(`${cmd.toLowerCase()} is not a valid change command`);
    switch (cmd) {
      case 'CMD':
        c.Cmd = jsonArray(rest) ?? ['/bin/sh', '-c', rest];
        cmdSet = true;
        break;
      case 'ENTRYPOINT': {
        const arr = jsonArray(rest);
        c.Entrypoint = arr ?? (rest ? ['/bin/sh', '-c', rest] : null);
        if (!cmdSet) c.Cmd = null;
        break;
      }
      case 'ENV': {
        const e = env();
        for (const [k, v] of pairs('ENV', rest, e)) e.set(k, v);
        c.Env = [...e].map(([k, v]) => `${k}=${v}`);
        break;
      }
      case 'LABEL':
        c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(pairs('LABEL', rest, env())) };
        break;
      case 'EXPOSE': {
        const ps = ports(words(rest, env()));
        if (ps.length === 0) throw invalidArgument('EXPOSE requires at least one argument');
        c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
        for (const p of ps) c.ExposedPorts[p] = {};
        break;
      }
      case 'USER': {
        const w = words(rest, env());
        if (w.length !== 1) throw invalidArgument('USER requires exactly one argument');
        c.User = w[0];
        break;
      }
      case 'WORKDIR': {
        const w = words(rest, env());
        if (w.length !== 1) throw invalidArgument('WORKDIR requires exactly one argument');
        c.WorkingDir = posix.resolve(c.WorkingDir || '/', w[0]);
        break;
      }
      case 'VOLUME': {
        const vs = jsonArray(rest) ?? words(rest, env());
        if (vs.length === 0) throw invalidArgument('VOLUME requires at least one argument');
        c.Volumes = { ...(c.Volumes ?? {}) };
        for (const v of vs) {
          if (!v.trim()) throw invalidArgument('VOLUME specified can not be an empty string');
          c.Volumes[v] = {};
        }
        break;
      }
      case 'HEALTHCHECK':
        c.Healthcheck = healthcheck(rest);
        break;
      case 'ONBUILD': {
        const t = /^(\S+)/.exec(rest)?.[1]?.toUpperCase();
        if (!t) throw invalidArgument('ONBUILD requires at least one argument');
        if (t === 'ONBUILD') throw invalidArgument("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (t === 'FROM' || t === 'MAINTAINER')
          throw invalidArgument(`${t} isn't allowed as an ONBUILD trigger`);
        c.OnBuild = [...(c.OnBuild ?? []), `${t}${rest.slice(t.length)}`];
        break;
      }
    }
  }
  return c;
}
