// Searching a registry's v1 index (GET /images/search): `busybox` searches Docker Hub
// (index.docker.io), `host:5000/busybox` that registry, with dockerd's limits, filters and
// errors (a registry without the v1 API answers "Unexpected status code 404").

import { BerthError, invalidArgument } from '../common/errors.ts';
import { DEFAULT_DOMAIN } from '../image/reference.ts';
import { type RegistryClient, readAll } from './client.ts';

export interface SearchResult {
  star_count: number;
  is_official: boolean;
  name: string;
  is_automated: boolean;
  description: string;
}

export interface SearchFilters {
  'is-automated'?: string[];
  'is-official'?: string[];
  stars?: string[];
}

/** `host:5000/x` → [host:5000, x]; a term without a registry host is Docker Hub's. */
export function splitSearchTerm(term: string): { domain: string; query: string } {
  const i = term.indexOf('/');
  const first = i > 0 ? term.slice(0, i) : '';
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost'))
    return { domain: first, query: term.slice(i + 1) };
  return { domain: DEFAULT_DOMAIN, query: term };
}

/** Checks the limit (1-100, 0 is 25) and the filters; returns a predicate for the results. */
export function searchPlan(
  limit: number,
  filters: SearchFilters,
): { n: number; keep: (r: SearchResult) => boolean } {
  const n = limit || 25;
  if (!Number.isInteger(n) || n < 1 || n > 100)
    throw invalidArgument(`Limit ${limit} is outside the range of [1, 100]`);
  for (const key of Object.keys(filters))
    if (!['is-automated', 'is-official', 'stars'].includes(key))
      throw invalidArgument(`Invalid filter '${key}'`);
  const bool = (key: 'is-automated' | 'is-official') => {
    const v = filters[key];
    if (!v?.length) return undefined;
    const last = v[v.length - 1];
    if (last !== 'true' && last !== 'false') throw invalidArgument(`Invalid filter '${key}=${last}'`);
    return last === 'true';
  };
  const automated = bool('is-automated');
  const official = bool('is-official');
  let stars = 0;
  for (const s of filters.stars ?? []) {
    const v = Number(s);
    if (!/^\d+$/.test(s)) throw invalidArgument(`Invalid filter 'stars=${s}'`);
    stars = Math.max(stars, v);
  }
  return {
    n,
    keep: (r) =>
      (automated === undefined || r.is_automated === automated) &&
      (official === undefined || r.is_official === official) &&
      r.star_count >= stars,
  };
}

/** GET /v1/search?q=&n= on the registry's index; results filtered by `keep`. */
export async function searchRegistry(
  client: RegistryClient,
  query: string,
  plan: { n: number; keep: (r: SearchResult) => boolean },
  signal?: AbortSignal,
): Promise<SearchResult[]> {
  const res = await client.v1Get(`/v1/search?q=${encodeURIComponent(query)}&n=${plan.n}`, signal);
  if (res.status !== 200) {
    res.body.resume();
    throw new BerthError('Internal', `Unexpected status code ${res.status}`);
  }
  const body = JSON.parse((await readAll(res.body)).toString('utf8')) as {
    results?: Partial<SearchResult>[];
  };
  return (body.results ?? [])
    .map((r) => ({
      star_count: r.star_count ?? 0,
      is_official: r.is_official ?? false,
      name: r.name ?? '',
      is_automated: r.is_automated ?? false,
      description: r.description ?? '',
    }))
    .filter(plan.keep);
}
