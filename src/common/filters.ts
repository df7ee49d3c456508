// What Docker's list and prune filters share: the parsed `filters` map, label matching, and the
// timestamps `since`/`until` take (moby's timetypes.GetTimestamp on the daemon side).

import { invalidArgument } from './errors.ts';

/** `{"label":["a=b"],"until":["24h"]}` */
export type Filters = Record<string, string[]>;

/** Every wanted `key` or `key=value` is among the labels. */
export function matchLabels(
  labels: Record<string, string> | null | undefined,
  wanted: readonly string[],
): boolean {
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    const key = eq === -1 ? w : w.slice(0, eq);
    if (!labels || !(key in labels)) return false;
    return eq === -1 || labels[key] === w.slice(eq + 1);
  });
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 36e5 };

/**
 * A timestamp filter value as nanoseconds since the epoch: Unix seconds (with a fraction, kept
 * to the nanosecond), RFC 3339 or a date, or a Go duration (`24h`, `1h30m`) counted back from `now`.
 */
export function parseTimestampNs(value: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(value)) {
    const [sec, frac = ''] = value.split('.');
    return Number(sec) * 1e9 + Number(frac.padEnd(9, '0').slice(0, 9));
  }
  if (/^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/.test(value)) {
    let ms = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2]];
    return (now - ms) * 1e6;
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw invalidArgument(`failed to parse value as time or duration: "${value}"`);
  return t * 1e6;
}
