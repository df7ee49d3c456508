// moby's GetTimestamp, which the CLI applies to --since/--until before sending them: a duration
// (`10m`) counts back from now, RFC 3339 (or shorter: `2024-01-02`, `2024-01-02T15:04`) and
// zone-less forms in local time become `seconds.nanoseconds`, Unix timestamps pass through.

import { parseGoDuration } from '../../common/govalues.ts';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Parses the RFC 3339-like forms moby accepts; undefined when the text is not one of them. */
function parseTime(value: string, reference: Date): { seconds: number; nanos: number } | undefined {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?([Zz]|[+-]\d{2}:\d{2})?$/.exec(
      value,
    );
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const nanos = Number(frac.padEnd(9, '0') || '0');
  let offsetMin: number;
  if (zone === undefined) offsetMin = -reference.getTimezoneOffset();
  else if (zone.toUpperCase() === 'Z') offsetMin = 0;
  else offsetMin = (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(utc)) return undefined;
  const check = new Date(utc);
  if (
    `${check.getUTCFullYear()}-${pad(check.getUTCMonth() + 1)}-${pad(check.getUTCDate())}` !==
    `${y}-${mo}-${d}`
  ) {
    return undefined;
  }
  return { seconds: Math.floor(utc / 1000) - offsetMin * 60, nanos };
}

/** The value sent as `since`/`until` for what the user wrote. */
export function getTimestamp(value: string, reference: Date): string {
  if (value !== '0') {
    try {
      const ns = parseGoDuration(value);
      return String(Math.floor((reference.getTime() - ns / 1e6) / 1000));
    } catch {
      // not a duration
    }
  }
  const t = parseTime(value, reference);
  if (t) return `${t.seconds}.${pad(t.nanos, 9)}`;
  if (value.includes('-')) throw new Error(`parsing time "${value}": cannot parse "${value}" as a timestamp`);
  if (!/^\d+(\.\d{1,9})?$/.test(value))
    throw new Error(`failed to parse value as time or duration: "${value}"`);
  return value;
}
