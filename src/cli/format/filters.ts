// The --filter flag (docker/cli opts.FilterOpt, moby api/types/filters): repeated `key=value`
// flags collect into a set of values per key, sent as `?filters={"dangling":{"true":true}}`.

import { invalidArgument } from '../../common/errors.ts';

/** key → set of values, the shape of Docker's filters.Args. Keys keep their insertion order. */
export type Filters = Map<string, Set<string>>;

/** Adds one `--filter` value; names are lower-cased and both sides trimmed, as docker does. */
export function addFilterFlag(filters: Filters, flag: string): Filters {
  if (flag === '') return filters;
  const eq = flag.indexOf('=');
  if (eq < 0) throw invalidArgument('bad format of filter (expected name=value)');
  const name = flag.slice(0, eq).trim().toLowerCase();
  const value = flag.slice(eq + 1).trim();
  const values = filters.get(name) ?? new Set<string>();
  values.add(value);
  filters.set(name, values);
  return filters;
}

/** Parses every `--filter` value given on the command line. */
export function parseFilterFlags(flags: readonly string[]): Filters {
  const filters: Filters = new Map();
  for (const flag of flags) addFilterFlag(filters, flag);
  return filters;
}

/** Docker's filters JSON (keys and values sorted like Go's encoder), or '' when there are none. */
export function filtersToJSON(filters: Filters): string {
  if (filters.size === 0) return '';
  const keys = [...filters.keys()].sort();
  const body = keys.map((k) => {
    const values = [...filters.get(k)!].sort().map((v) => `${JSON.stringify(v)}:true`);
    return `${JSON.stringify(k)}:{${values.join(',')}}`;
  });
  return `{${body.join(',')}}`;
}

/** The query-string parameter: `filters=<urlencoded JSON>`, or '' when there are none. */
export function filtersQuery(filters: Filters): string {
  const json = filtersToJSON(filters);
  return json ? `filters=${encodeURIComponent(json)}` : '';
}

/**
 * Reads the `filters` query parameter as the daemon does: the current `{"k":{"v":true}}` form
 * or the legacy `{"k":["v"]}` one; '' means none. Throws `invalid filter` on anything else.
 */
export function filtersFromJSON(json: string): Filters {
  const filters: Filters = new Map();
  if (json === '') return filters;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw invalidArgument('invalid filter', err);
  }
  if (parsed === null) return filters;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidArgument('invalid filter');
  for (const [key, raw] of Object.entries(parsed)) {
    const values = new Set<string>();
    if (Array.isArray(raw) && raw.every((v) => typeof v === 'string')) {
      for (const v of raw) values.add(v);
    } else if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
      for (const [v, on] of Object.entries(raw)) {
        if (typeof on !== 'boolean') throw invalidArgument('invalid filter');
        if (on) values.add(v);
      }
    } else if (raw !== null) {
      throw invalidArgument('invalid filter');
    }
    filters.set(key, values);
  }
  return filters;
}

/** Docker's invalidFilter message: `invalid filter 'foo'`, `invalid filter 'dangling=[maybe]'`. */
export function invalidFilterMessage(name: string, values?: readonly string[]): string {
  if (name === '') return 'invalid filter';
  return values ? `invalid filter '${name}=[${values.join(' ')}]'` : `invalid filter '${name}'`;
}

/** Rejects keys a command does not accept (filters.Args.Validate); the first bad key, sorted, is named. */
export function validateFilters(filters: Filters, accepted: Iterable<string>): void {
  const ok = new Set(accepted);
  const bad = [...filters.keys()].filter((k) => !ok.has(k)).sort();
  if (bad.length) throw invalidArgument(invalidFilterMessage(bad[0]));
}

/** filters.Args.GetBoolOrDefault: `true`/`1` or `false`/`0`; anything else is an invalid filter. */
export function filterBool(filters: Filters, key: string, fallback: boolean): boolean {
  const values = filters.get(key);
  if (!values) return fallback;
  if (values.size === 0) throw invalidArgument(invalidFilterMessage(key));
  const isFalse = values.has('0') || values.has('false');
  const isTrue = values.has('1') || values.has('true');
  if (isFalse === isTrue) throw invalidArgument(invalidFilterMessage(key, [...values]));
  return isTrue;
}

/** Filters accepted by each list command of the docker CLI, as the daemon validates them. */
export const ACCEPTED_FILTERS = {
  images: ['before', 'dangling', 'label', 'reference', 'since', 'until'],
  ps: [
    'ancestor',
    'before',
    'exited',
    'expose',
    'health',
    'id',
    'isolation',
    'is-task',
    'label',
    'name',
    'network',
    'publish',
    'since',
    'status',
    'volume',
  ],
  volumes: ['dangling', 'driver', 'label', 'name'],
  networks: ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'],
  imagePrune: ['dangling', 'label', 'label!', 'until'],
  containerPrune: ['label', 'label!', 'until'],
  events: [
    'config',
    'container',
    'daemon',
    'event',
    'image',
    'label',
    'network',
    'node',
    'plugin',
    'scope',
    'secret',
    'service',
    'type',
    'volume',
  ],
} as const;
