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
