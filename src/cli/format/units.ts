// Docker's human-readable numbers and names (docker/go-units, moby's stringid and container
// state, docker/cli's Ellipsis): `1.24MB`, `3 weeks ago`, `Up 2 minutes`, `sha256:` IDs cut to 12.

import { formatFloat } from './gofloat.ts';
import { charWidth } from './width.ts';

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function sizeAndUnit(size: number, base: number, units: string[]): [number, string] {
  let i = 0;
  let s = size;
  while (s >= base && i < units.length - 1) {
    s /= base;
    i++;
  }
  return [s, units[i]];
}

/** go-units HumanSizeWithPrecision: decimal units, `%.*g` (precision 3 for image sizes: `187MB`). */
export function humanSizeWithPrecision(size: number, precision: number): string {
  const [s, unit] = sizeAndUnit(size, 1000, DECIMAL);
  return formatFloat(s, 'g', precision) + unit;
}

/** go-units HumanSize: decimal units, 4 significant digits (`1.235MB`, `4.26kB`, `0B`). */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

/** go-units BytesSize: binary units, 4 significant digits (`44KiB`, `17MiB`). */
export function bytesSize(size: number): string {
  const [s, unit] = sizeAndUnit(size, 1024, BINARY);
  return formatFloat(s, 'g', 4) + unit;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** go-units HumanDuration of milliseconds: `Less than a second`, `About a minute`, `3 weeks`. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / HOUR + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / HOUR) / 24 / 365)} years`;
}

/** `2 hours ago` for a time in the past, as `docker images` CREATED and `docker ps` CREATED. */
export function humanSince(then: Date | number, now: Date | number): string {
  return humanDuration(toMs(now) - toMs(then)) + ' ago';
}

const toMs = (t: Date | number): number => (typeof t === 'number' ? t : t.getTime());

/** stringid.TruncateID: drop an algorithm prefix (`sha256:`), keep 12 characters. */
export function truncateID(id: string): string {
  const colon = id.indexOf(':');
  const bare = colon >= 0 ? id.slice(colon + 1) : id;
  return bare.length > 12 ? bare.slice(0, 12) : bare;
}

/** A character from U+1100 on, or half of a surrogate pair. */
const BEYOND_NARROW = /[\u1100-\uffff]/;

/** docker/cli Ellipsis: fit into `max` display cells, ending with `…` when cut. */
export function ellipsis(s: string, max: number): string {
  if (max <= 0) return '';
  // below U+1100 every character is one cell wide here (no surrogates either): no need to measure
  if (!BEYOND_NARROW.test(s)) {
    if (s.length <= max) return s;
    return max === 1 ? s[0] : s.slice(0, max - 1) + '…';
  }
  const chars = [...s];
  if (max === 1) return chars[0] ?? '';
  let total = 0;
  const widths = chars.map((c) => {
    total += charWidth(c, false);
    return total;
  });
  if (total <= max) return s;
  let keep = 0;
  while (keep < chars.length && widths[keep] <= max - 1) keep++;
  return chars.slice(0, keep).join('') + '…';
}

/** The parts of a container's state that its Status text depends on (moby's State.String). */
export interface ContainerState {
  Running?: boolean;
  Paused?: boolean;
  Restarting?: boolean;
  RemovalInProgress?: boolean;
  Dead?: boolean;
  ExitCode?: number;
  /** RFC 3339 or Date; Go's zero time (`0001-01-01T00:00:00Z`) or absent means never. */
  StartedAt?: string | Date;
  FinishedAt?: string | Date;
  Health?: { Status?: string } | null;
}

function timeOf(t: string | Date | undefined): number | undefined {
  if (t === undefined) return undefined;
  const ms = typeof t === 'string' ? Date.parse(t) : t.getTime();
  if (Number.isNaN(ms) || new Date(ms).getUTCFullYear() <= 1) return undefined;
  return ms;
}

/** A container's Status as the API reports it: `Up 2 minutes (healthy)`, `Exited (0) 3 seconds ago`. */
export function containerStatus(state: ContainerState, now: Date | number): string {
  const nowMs = toMs(now);
  const started = timeOf(state.StartedAt);
  const finished = timeOf(state.FinishedAt);
  const since = (t: number | undefined) => humanDuration(nowMs - (t ?? nowMs));
  if (state.Running) {
    if (state.Paused) return `Up ${since(started)} (Paused)`;
    if (state.Restarting) return `Restarting (${state.ExitCode ?? 0}) ${since(finished)} ago`;
    const health = state.Health?.Status;
    if (health && health !== 'none') {
      return `Up ${since(started)} (${health === 'starting' ? 'health: starting' : health})`;
    }
    return `Up ${since(started)}`;
  }
  if (state.RemovalInProgress) return 'Removal In Progress';
  if (state.Dead) return 'Dead';
  if (started === undefined) return 'Created';
  if (finished === undefined) return '';
  return `Exited (${state.ExitCode ?? 0}) ${since(finished)} ago`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * Go's time.Time.String(): `2024-01-15 10:23:45 +0000 UTC`, nanoseconds only when present.
 * `offsetMinutes` east of UTC and `zone` name default to UTC; the CLI passes the local zone.
 */
export function goTimeString(t: Date | number, offsetMinutes = 0, zone = 'UTC'): string {
  const ms = toMs(t);
  const d = new Date(ms + offsetMinutes * 60_000);
  const date = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  const frac = d.getUTCMilliseconds()
    ? '.' + String(d.getUTCMilliseconds()).padStart(3, '0').replace(/0+$/, '')
    : '';
  const time = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}${frac}`;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${date} ${time} ${sign}${pad2(Math.trunc(abs / 60))}${pad2(abs % 60)} ${zone}`;
}

/**
 * Go's time.Time.String() of a time parsed from RFC 3339 JSON, in the zone it was written in:
 * `2024-01-15T10:23:45.123456789Z` → `2024-01-15 10:23:45.123456789 +0000 UTC`; an offset
 * `+01:00` has no zone name, so Go prints it twice: `+0100 +0100`. Unparsable text is returned.
 */
export function goTimeFromRFC3339(s: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) return s;
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const zone = m[4].toUpperCase() === 'Z' ? '+0000 UTC' : `${m[4].replace(':', '')} ${m[4].replace(':', '')}`;
  return `${m[1]} ${m[2]}${frac ? '.' + frac : ''} ${zone}`;
}
