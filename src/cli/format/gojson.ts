// Go's encoding/json over JavaScript values: compact, `\u003c` for <, > and & when escapeHTML
// (json.Marshal) and raw when not (the docker CLI's `json` template function), U+2028/U+2029
// always escaped, floats like Go (1e-7, 1e+21). Map instances are Go maps (keys sorted); plain
// objects keep their key order, which is the order of the API's JSON (Go structs); an object
// with a MarshalJSON() method supplies its own JSON text, as a Go json.Marshaler does.

import { invalidArgument } from '../../common/errors.ts';
import { mapEntries } from './govalue.ts';

export interface JSONOptions {
  escapeHTML: boolean;
}

const SHORT: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

function u(cp: number): string {
  return '\\u' + cp.toString(16).padStart(4, '0');
}

/** Characters Go escapes and JSON.stringify does not (Go also writes a lone surrogate as `\ufffd`). */
const GO_ESCAPES_HTML = /[<>&\u2028\u2029]/;
const GO_ESCAPES = /[\u2028\u2029]/;

export function jsonString(s: string, opts: JSONOptions): string {
  // JSON.stringify escapes the rest as Go does: \" \\ \n \r \t \b \f, other controls as \u00xx
  const special = opts.escapeHTML ? GO_ESCAPES_HTML : GO_ESCAPES;
  if (!special.test(s) && s.isWellFormed()) return JSON.stringify(s);
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (SHORT[ch]) out += SHORT[ch];
    else if (cp < 0x20) out += u(cp);
    else if (opts.escapeHTML && (ch === '<' || ch === '>' || ch === '&')) out += u(cp);
    else if (cp === 0x2028 || cp === 0x2029) out += u(cp);
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else out += ch;
  }
  return out + '"';
}

function jsonNumber(n: number): string {
  if (!Number.isFinite(n)) throw invalidArgument(`json: unsupported value: ${n === Infinity ? '+Inf' : n}`);
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  // Go and JavaScript agree on the digits and on when to use an exponent; Go writes e-7, JS too.
  return String(n);
}

/** The JSON text of a value, as Go's json.Marshal (escapeHTML) or an Encoder without it. */
export function marshal(v: unknown, opts: JSONOptions = { escapeHTML: true }): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return jsonString(v, opts);
    case 'number':
      return jsonNumber(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'function':
      throw invalidArgument('json: unsupported type: func()');
  }
  if (Array.isArray(v)) return '[' + v.map((x) => marshal(x, opts)).join(',') + ']';
  if (v instanceof Map) {
    return '{' + mapEntries(v).map(([k, x]) => jsonString(k, opts) + ':' + marshal(x, opts)) + '}';
  }
  const custom = (v as { MarshalJSON?: unknown }).MarshalJSON;
  if (typeof custom === 'function') return String(custom.call(v));
  if (v instanceof Date) return jsonString(v.toISOString(), opts);
  const toJSON = (v as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return marshal(toJSON.call(v), opts);
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined || typeof x === 'function') continue;
    parts.push(jsonString(k, opts) + ':' + marshal(x, opts));
  }
  return '{' + parts.join(',') + '}';
}
