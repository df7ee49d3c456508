// What a list row is to a template: a Go struct whose getters are its fields. Its JSON, as
// docker/cli's MarshalJSON, is a map of every field (keys sorted, `<` written `\u003c`).

import { marshalSortedMap } from '../gojson.ts';

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
    const fields: Record<string, unknown> = {};
    for (
      let proto = Object.getPrototypeOf(this);
      proto && proto !== Row.prototype;
      proto = Object.getPrototypeOf(proto)
    ) {
      for (const [name, desc] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
        if (desc.get && /^[A-Z]/.test(name) && !(name in fields)) fields[name] = desc.get.call(this);
      }
    }
    return marshalSortedMap(fields);
  }
}

/** `k=v` pairs sorted and joined with commas, '' for no labels. */
export function joinLabels(labels: Record<string, string> | null | undefined): string {
  if (!labels) return '';
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',');
}
