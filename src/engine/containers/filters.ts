// `docker ps --filter`: the keys dockerd takes, checked once per list (with dockerd's errors),
// then matched against each container as dockerd matches them.

import { invalidArgument, notFound } from '../../common/errors.ts';
import { matchLabels } from '../../common/filters.ts';
import type { Filters } from '../events.ts';
import { mounts, networkMode, portList } from './inspect.ts';
import type { ContainerRecord } from './record.ts';

const KEYS = new Set([
  'ancestor',
  'before',
  'expose',
  'exited',
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
]);
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'];

/** The filters' values checked and parsed once for a list. */
export interface ListFilters {
  filters: Filters;
  exited: number[];
  /** `80/tcp` … every port a `publish` / `expose` value names (ranges expanded) */
  publish: Set<string>;
  expose: Set<string>;
  /** is-task=true|false; undefined when not given */
  isTask?: boolean;
}

export interface FilterContext {
  imageMatches(rec: ContainerRecord, ref: string): boolean;
  /** the Created time of the container `ref` names, undefined when there is none */
  created(ref: string): string | undefined;
}

const atoiError = (v: string) =>
  invalidArgument(`strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);

/** `80`, `80/udp`, `8000-8010/tcp` (nat.ParsePortRange) into `set` as `80/tcp` keys. */
function addPorts(key: string, value: string, set: Set<string>): void {
  if (value.includes(':')) throw invalidArgument(`filter for '${key}' should not contain ':': ${value}`);
  const slash = value.indexOf('/');
  const range = slash === -1 ? value : value.slice(0, slash);
  const proto = slash === -1 ? 'tcp' : value.slice(slash + 1);
  const [lo, hi = lo] = range.split('-');
  for (const part of [lo, hi]) {
    if (!/^\d+$/.test(part) || Number(part) > 65535) {
      throw invalidArgument(
        `error while looking up for ${key} ${value}: strconv.ParseUint: parsing ${JSON.stringify(part)}: invalid syntax`,
      );
    }
  }
  if (Number(hi) < Number(lo))
    throw invalidArgument(`error while looking up for ${key} ${value}: invalid range specified for ${range}`);
  for (let p = Number(lo); p <= Number(hi); p++) set.add(`${p}/${proto}`);
}

/** dockerd's checks of a list's filters (foldFilter), before any container is looked at. */
export function parseListFilters(filters: Filters, ctx: Pick<FilterContext, 'created'>): ListFilters {
  const out: ListFilters = { filters, exited: [], publish: new Set(), expose: new Set() };
  for (const [key, values] of Object.entries(filters)) {
    if (!KEYS.has(key)) throw invalidArgument(`Invalid filter '${key}'`);
    for (const v of values) {
      switch (key) {
        case 'exited':
          if (!/^[+-]?\d+$/.test(v)) throw atoiError(v);
          out.exited.push(Number(v));
          break;
        case 'status':
          if (!STATUSES.includes(v)) throw invalidArgument(`Invalid filter 'status=${v}'`);
          break;
        case 'health':
          if (!HEALTH.includes(v)) throw invalidArgument(`Unrecognised filter value for health: ${v}`);
          break;
        case 'before':
        case 'since':
          if (ctx.created(v) === undefined) throw notFound(`No such container: ${v}`);
          break;
        case 'publish':
        case 'expose':
          addPorts(key, v, out[key]);
          break;
      }
    }
  }
  const task = filters['is-task'] ?? [];
  if (task.length > 0) {
    if (task.includes('true')) out.isTask = true;
    else if (task.includes('false')) out.isTask = false;
    else throw invalidArgument(`Invalid filter 'is-task=[${task.join(' ')}]'`);
  }
  return out;
}

/** Whether `rec` passes every filter (values parsed by parseListFilters). */
export function matchesFilters(rec: ContainerRecord, f: ListFilters, ctx: FilterContext): boolean {
  // berth runs no swarm tasks
  if (f.isTask === true) return false;
  for (const [key, values] of Object.entries(f.filters)) {
    if (values.length === 0) continue;
    const any = (test: (v: string) => boolean) => values.some(test);
    switch (key) {
      case 'id':
        if (!any((v) => rec.ID.startsWith(v))) return false;
        break;
      case 'name':
        if (!any((v) => new RegExp(v).test(rec.Name.slice(1)) || new RegExp(v).test(rec.Name))) return false;
        break;
      case 'label':
        if (!matchLabels(rec.Config.Labels, values)) return false;
        break;
      case 'isolation': {
        const isolation = (rec.HostConfig.Isolation || 'default').toLowerCase();
        if (!values.includes(isolation)) return false;
        break;
      }
      case 'status':
        if (!values.includes(rec.State.Status)) return false;
        break;
      case 'exited':
        if (rec.State.Running || rec.State.StartedAt.startsWith('0001')) return false;
        if (!f.exited.includes(rec.State.ExitCode)) return false;
        break;
      case 'ancestor':
        if (!any((v) => ctx.imageMatches(rec, v))) return false;
        break;
      case 'before':
        if (!any((v) => (ctx.created(v) ?? '') > rec.Created)) return false;
        break;
      case 'since':
        if (!any((v) => (ctx.created(v) ?? '\uffff') < rec.Created)) return false;
        break;
      case 'health':
        if (!values.includes(rec.State.Health?.Status ?? 'none')) return false;
        break;
      case 'volume': {
        // a mount's destination, or its source (a volume's name, once there are volumes)
        const ms = mounts(rec);
        if (!any((v) => ms.some((m) => m.Destination === v || m.Source === v))) return false;
        break;
      }
      case 'network': {
        const eps = Object.entries(rec.NetworkSettings?.Networks ?? {});
        const mode = networkMode(rec);
        if (!any((v) => mode === v || eps.some(([name, e]) => name === v || e.NetworkID.startsWith(v))))
          return false;
        break;
      }
    }
  }
  if (f.publish.size > 0 || f.expose.size > 0) {
    // as dockerd: the ports `ps` lists (published, or exposed by a running bridge container)
    const hit = portList(rec).some(
      (p) => f.publish.has(`${p.PublicPort}/${p.Type}`) || f.expose.has(`${p.PrivatePort}/${p.Type}`),
    );
    if (!hit) return false;
  }
  return true;
}
