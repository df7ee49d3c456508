// What a list row is to a template: a Go struct whose getters are its fields. Its JSON, as
// docker/cli's MarshalJSON, is a map of every field (keys sorted, `<` written `\u003c`).

import { jsonString, marshal } from '../gojson.ts';

/** The time a list is rendered at, and the zone `CreatedAt` columns are printed in. */
export interface Clock {
  /** Milliseconds since the epoch (Date.now()) or a Date. */
  now: number | Date;
  /** Minutes east of UTC (0 when omitted) and the zone's abbreviation ('UTC' when omitted). */
  offsetMinutes?: number;
  zone?: string;
}

/** Options every list formatter takes. */
export interface ListOptions {
  /** The --format value; '' or 'table' for the command's default table. */
  format?: string;
  quiet?: boolean;
  /** --no-trunc. */
  noTrunc?: boolean;
  clock: Clock;
}

export abstract class Row {
  /** The Go type named in template errors (`can't evaluate field X in type *formatter.…`). */
  static goName = 'row';

  MarshalJSON(): string {
    let out = '';
    for (const [key, get] of fieldsOf(Object.getPrototypeOf(this))) {
      out += (out === '' ? '' : ',') + key + ':' + marshal(get.call(this), HTML);
    }
    return '{' + out + '}';
  }
}

const HTML = { escapeHTML: true };

/** A row class's fields: its capitalised getters (a subclass's first), as JSON keys, sorted. */
const fieldLists = new WeakMap<object, [key: string, get: () => unknown][]>();

function fieldsOf(proto: object): [key: string, get: () => unknown][] {
  let fields = fieldLists.get(proto);
  if (fields) return fields;
  const getters = new Map<string, () => unknown>();
  for (let p = proto; p && p !== Row.prototype; p = Object.getPrototypeOf(p)) {
    for (const [name, desc] of Object.entries(Object.getOwnPropertyDescriptors(p))) {
      if (desc.get && /^[A-Z]/.test(name) && !getters.has(name)) getters.set(name, desc.get);
    }
  }
  fields = [...getters]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, get]) => [jsonString(name, HTML), get]);
  fieldLists.set(proto, fields);
  return fields;
}

/** `k=v` pairs sorted and joined with commas, '' for no labels. */
export function joinLabels(labels: Record<string, string> | null | undefined): string {
  if (!labels) return '';
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',');
}
