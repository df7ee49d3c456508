// Template functions: Go's builtins (and, or, not, len, index, slice, print, printf, println,
// eq, ne, lt, le, gt, ge, html, js, urlquery, call) and the docker CLI's (json, split, join,
// title, lower, upper, pad, truncate), plus the header variants Docker uses for table headers.

import { sprint, sprintf, sprintln } from '../gofmt.ts';
import { marshal } from '../gojson.ts';
import { formatV, isTrue, kindOf, mapEntries, typeName } from '../govalue.ts';
import { FuncError, type FuncMap, type TemplateFunc } from './exec.ts';

const utf8 = new TextEncoder();
const byteLength = (s: string): number => utf8.encode(s).length;

function basicKind(v: unknown): 'number' | 'string' | 'bool' | 'nil' | 'other' {
  switch (kindOf(v)) {
    case 'int':
    case 'float':
      return 'number';
    case 'string':
      return 'string';
    case 'bool':
      return 'bool';
    case 'invalid':
    case 'nil':
      return 'nil';
    default:
      return 'other';
  }
}

function eq(a: unknown, ...rest: unknown[]): boolean {
  const ka = basicKind(a);
  if (rest.length === 0) throw new FuncError('missing argument for comparison');
  for (const b of rest) {
    const kb = basicKind(b);
    if (ka === 'nil' || kb === 'nil') {
      if (ka === kb) return true;
      continue;
    }
    if (ka === 'other' || kb === 'other') {
      if (a === b) return true;
      throw new FuncError(`non-comparable type ${typeName(ka === 'other' ? a : b)}`);
    }
    if (ka !== kb) throw new FuncError('incompatible types for comparison');
    // biome-ignore lint/suspicious/noDoubleEquals: numbers and bigints compare by value
    if (a == b) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka !== 'number' && ka !== 'string') throw new FuncError('invalid type for comparison');
  if (ka !== kb) throw new FuncError('incompatible types for comparison');
  return (a as number) < (b as number);
}

function indexOne(item: unknown, key: unknown): unknown {
  switch (kindOf(item)) {
    case 'slice':
    case 'string': {
      if (kindOf(key) !== 'int') throw new FuncError(`cannot index slice/array with type ${typeName(key)}`);
      const i = Number(key);
      const bytes = typeof item === 'string' ? utf8.encode(item) : undefined;
      const len = bytes ? bytes.length : (item as unknown[]).length;
      if (i < 0 || i >= len) throw new FuncError(`index out of range: ${i}`);
      return bytes ? bytes[i] : (item as unknown[])[i];
    }
    case 'map': {
      const k = typeof key === 'string' ? key : formatV(key);
      const has = item instanceof Map ? item.has(k) : Object.hasOwn(item as object, k);
      if (has) return item instanceof Map ? item.get(k) : (item as Record<string, unknown>)[k];
      // The zero value of the map's element type: "" for string maps such as Labels.
      const values = mapEntries(item).map(([, v]) => v);
      return values.every((v) => typeof v === 'string') ? '' : undefined;
    }
    case 'invalid':
    case 'nil':
      // A nil map (Labels: null in the API's JSON) indexes to its zero value.
      if (typeof key === 'string') return '';
      throw new FuncError('index of untyped nil');
    default:
      throw new FuncError(`can't index item of type ${typeName(item)}`);
  }
}

function sliceOf(item: unknown, ...indexes: unknown[]): unknown {
  const kind = kindOf(item);
  if (kind !== 'slice' && kind !== 'string')
    throw new FuncError(`can't slice item of type ${typeName(item)}`);
  if (indexes.length > 3) throw new FuncError(`too many slice indexes: ${indexes.length}`);
  if (kind === 'string' && indexes.length === 3) throw new FuncError('cannot 3-index slice a string');
  const whole = typeof item === 'string' ? utf8.encode(item) : (item as unknown[]);
  const bounds = indexes.map((i) => {
    if (kindOf(i) !== 'int') throw new FuncError(`cannot index slice/array with type ${typeName(i)}`);
    const n = Number(i);
    if (n < 0 || n > whole.length) throw new FuncError(`index out of range: ${n}`);
    return n;
  });
  const from = bounds[0] ?? 0;
  const to = bounds[1] ?? whole.length;
  if (from > to) throw new FuncError(`invalid slice index: ${from} > ${to}`);
  if (typeof item === 'string') return new TextDecoder().decode((whole as Uint8Array).slice(from, to));
  return (whole as unknown[]).slice(from, to);
}

function argString(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args);
}

function htmlEscape(s: string): string {
  return s.replace(/[<>&'"\0]/g, (c) =>
    c === '<'
      ? '&lt;'
      : c === '>'
        ? '&gt;'
        : c === '&'
          ? '&amp;'
          : c === "'"
            ? '&#39;'
            : c === '"'
              ? '&#34;'
              : '\uFFFD',
  );
}

function jsEscape(s: string): string {
  let out = '';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (c === '\\') out += '\\\\';
    else if (c === "'") out += "\\'";
    else if (c === '"') out += '\\"';
    else if (c === '<') out += '\\u003C';
    else if (c === '>') out += '\\u003E';
    else if (c === '&') out += '\\u0026';
    else if (c === '=') out += '\\u003D';
    else if (cp < 0x20) out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
    else out += c;
  }
  return out;
}

function queryEscape(s: string): string {
  return [...utf8.encode(s)]
    .map((b) => {
      const c = String.fromCharCode(b);
      if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
      if (c === ' ') return '+';
      return '%' + b.toString(16).toUpperCase().padStart(2, '0');
    })
    .join('');
}

/** strings.Title: the first letter of each word upper-cased. */
export function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const c of s) {
    const separator = !/[\p{L}\p{N}_]/u.test(prev) && prev !== "'";
    out += separator ? c.toUpperCase() : c;
    prev = c;
  }
  return out;
}

function truncate(s: string, length: number): string {
  const bytes = utf8.encode(s);
  if (bytes.length < length) return s;
  if (length < 0) throw new FuncError(`slice bounds out of range [:${length}]`);
  return new TextDecoder().decode(bytes.slice(0, length));
}

function pad(s: string, prefix: number, suffix: number): string {
  if (s === '') return s;
  if (prefix < 0 || suffix < 0) throw new FuncError('negative Repeat count');
  return ' '.repeat(prefix) + s + ' '.repeat(suffix);
}

function split(s: string, sep: string): string[] {
  if (sep === '') return [...s];
  return s.split(sep);
}

const f = (params: TemplateFunc['params'], fn: TemplateFunc['fn'], variadic?: TemplateFunc['variadic']) => ({
  params,
  fn,
  variadic,
});

/** Go's predefined functions. `and` and `or` are evaluated lazily by the executor. */
export const BUILTINS: FuncMap = {
  and: f(['any'], () => undefined, 'any'),
  or: f(['any'], () => undefined, 'any'),
  not: f(['any'], (v: unknown) => !isTrue(v)),
  len: f(['any'], (v: unknown) => {
    switch (kindOf(v)) {
      case 'string':
        return byteLength(v as string);
      case 'slice':
        return (v as unknown[]).length;
      case 'map':
        return v instanceof Map ? v.size : Object.keys(v as object).length;
      case 'nil':
      case 'invalid':
        throw new FuncError('len of nil pointer');
      default:
        throw new FuncError(`len of type ${typeName(v)}`);
    }
  }),
  index: f(['any'], (item: unknown, ...keys: unknown[]) => keys.reduce(indexOne, item), 'any'),
  slice: f(['any'], sliceOf, 'any'),
  print: f([], (...args: unknown[]) => sprint(args), 'any'),
  println: f([], (...args: unknown[]) => sprintln(args), 'any'),
  printf: f(['string'], (format: string, ...args: unknown[]) => sprintf(format, args), 'any'),
  eq: f(['any'], eq, 'any'),
  ne: f(['any', 'any'], (a: unknown, b: unknown) => !eq(a, b)),
  lt: f(['any', 'any'], lt),
  le: f(['any', 'any'], (a: unknown, b: unknown) => lt(a, b) || eq(a, b)),
  gt: f(['any', 'any'], (a: unknown, b: unknown) => !lt(a, b) && !eq(a, b)),
  ge: f(['any', 'any'], (a: unknown, b: unknown) => !lt(a, b)),
  html: f([], (...args: unknown[]) => htmlEscape(argString(args)), 'any'),
  js: f([], (...args: unknown[]) => jsEscape(argString(args)), 'any'),
  urlquery: f([], (...args: unknown[]) => queryEscape(argString(args)), 'any'),
  call: f(
    ['any'],
    (fn: unknown, ...args: unknown[]) => {
      if (typeof fn !== 'function') throw new FuncError(`non-function of type ${typeName(fn)}`);
      return fn(...args);
    },
    'any',
  ),
};

/** The docker CLI's functions (cli/templates): json without HTML escaping, strings helpers. */
export const DOCKER_FUNCS: FuncMap = {
  ...BUILTINS,
  json: f(['any'], (v: unknown) => marshal(v, { escapeHTML: false })),
  split: f(['string', 'string'], split),
  join: f(['strings', 'string'], (a: string[], sep: string) => a.join(sep)),
  title: f(['string'], title),
  lower: f(['string'], (s: string) => s.toLowerCase()),
  upper: f(['string'], (s: string) => s.toUpperCase()),
  pad: f(['string', 'int', 'int'], pad),
  truncate: f(['string', 'int'], truncate),
};

/** Docker's header functions: a table header keeps the column name (pad is kept, for alignment). */
export const HEADER_FUNCS: FuncMap = {
  ...DOCKER_FUNCS,
  json: f(['string'], (v: string) => v),
  split: f(['string', 'string'], (v: string) => v),
  join: f(['string', 'string'], (v: string) => v),
  title: f(['string'], (v: string) => v),
  lower: f(['string'], (v: string) => v),
  upper: f(['string'], (v: string) => v),
  truncate: f(['string', 'int'], (v: string) => v),
};
