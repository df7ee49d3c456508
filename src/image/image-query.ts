// Read-side views of the image store in Docker's shapes: `GET /images/json` with filters,
// `GET /images/{name}/json` (inspect), `GET /images/{name}/history`, and `image prune`.

import { invalidArgument } from '../common/errors.ts';
import { type Filters, matchLabels, parseTimestampNs } from '../common/filters.ts';
import type { Digest } from './digest.ts';
import type { DeleteItem, Image, ImageStore, InUse } from './image-store.ts';
import { familiarMatch, familiarString } from './reference.ts';
import type { ContainerConfig } from './types.ts';

/** Docker's filters after parsing the `filters` query parameter: key → values. */
export type { Filters };

const LIST_FILTERS = new Set(['dangling', 'label', 'before', 'since', 'reference', 'until']);
const PRUNE_FILTERS = new Set(['dangling', 'label', 'label!', 'until']);

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string>;
  Containers: number;
}

function checkFilters(filters: Filters, allowed: Set<string>): void {
  for (const key of Object.keys(filters))
    if (!allowed.has(key)) throw invalidArgument(`invalid filter '${key}'`);
}

function boolFilter(filters: Filters, key: string): boolean | undefined {
  const v = filters[key];
  if (!v || v.length === 0) return undefined;
  if (v.every((x) => x === 'true' || x === '1')) return true;
  if (v.every((x) => x === 'false' || x === '0')) return false;
  throw invalidArgument(`invalid filter '${key}=${v.join(',')}'`);
}

/** Created time of an image in milliseconds (0 when the config has none). */
export function createdMs(img: Image): number {
  const t = img.config.created ? Date.parse(img.config.created) : Number.NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** `label=key` or `label=key=value`; every given label must match. */
export interface ListOptions {
  /** `docker images -a`: include untagged intermediate images (ones with children). */
  all?: boolean;
  filters?: Filters;
}

export interface ListedImage {
  image: Image;
  /** Tags and digests shown: restricted to those matching a reference filter. */
  repoTags: string[];
  repoDigests: string[];
}

/** moby's Images(): the filtered list, newest first. */
export function listImages(store: ImageStore, opts: ListOptions = {}): ListedImage[] {
  const filters = opts.filters ?? {};
  checkFilters(filters, LIST_FILTERS);
  const dangling = boolFilter(filters, 'dangling');
  const before = filters.before?.length
    ? Math.min(...filters.before.map((r) => createdMs(store.get(r))))
    : undefined;
  const since = filters.since?.length
    ? Math.max(...filters.since.map((r) => createdMs(store.get(r))))
    : undefined;
  const until = filters.until?.length
    ? Math.min(...filters.until.map((v) => parseTimestampNs(v) / 1e6))
    : undefined;
  const patterns = filters.reference ?? [];
  const out: ListedImage[] = [];
  for (const img of store.all()) {
    const children = store.children(img.id).length;
    if (dangling && children > 0) continue;
    const created = createdMs(img);
    if (before !== undefined && created >= before) continue;
    if (since !== undefined && created <= since) continue;
    if (until !== undefined && created >= until) continue;
    if (filters.label?.length && !matchLabels(img.config.config?.Labels, filters.label)) continue;
    const repoTags: string[] = [];
    const repoDigests: string[] = [];
    for (const ref of store.references(img.id)) {
      if (patterns.length && !patterns.some((p) => familiarMatch(p, ref))) continue;
      (ref.digest ? repoDigests : repoTags).push(familiarString(ref));
    }
    if (repoTags.length === 0 && repoDigests.length === 0) {
      if (!(opts.all || children === 0)) continue;
      if (dangling === false || patterns.length) continue;
    } else if (dangling && repoTags.length > 0) continue;
    out.push({ image: img, repoTags, repoDigests });
  }
  return out.sort((a, b) => createdMs(b.image) - createdMs(a.image) || (a.image.id < b.image.id ? -1 : 1));
}

/**
 * One `GET /images/json` item. Before API 1.44 untagged images show `<none>:<none>` and
 * `<none>@<none>`, and VirtualSize is present.
 */
export function imageSummary(item: ListedImage, apiVersion = 1.45): ImageSummary {
  const { image } = item;
  const old = apiVersion < 1.44;
  const none = item.repoTags.length === 0 && item.repoDigests.length === 0;
  return {
    Id: image.id,
    ParentId: image.parent ?? '',
    RepoTags: old && none ? ['<none>:<none>'] : item.repoTags,
    RepoDigests: old && none ? ['<none>@<none>'] : item.repoDigests,
    Created: Math.floor(createdMs(image) / 1000),
    Size: image.size,
    SharedSize: -1,
    ...(old ? { VirtualSize: image.size } : {}),
    Labels: image.config.config?.Labels ?? {},
    Containers: -1,
  };
}

/** Docker's container.Config with every non-omitempty field present, in Go's field order. */
export function dockerConfig(c: ContainerConfig | undefined): ContainerConfig {
  const src = c ?? {};
  const out: ContainerConfig = {
    Hostname: src.Hostname ?? '',
    Domainname: src.Domainname ?? '',
    User: src.User ?? '',
    AttachStdin: src.AttachStdin ?? false,
    AttachStdout: src.AttachStdout ?? false,
    AttachStderr: src.AttachStderr ?? false,
  };
  if (src.ExposedPorts && Object.keys(src.ExposedPorts).length) out.ExposedPorts = src.ExposedPorts;
  out.Tty = src.Tty ?? false;
  out.OpenStdin = src.OpenStdin ?? false;
  out.StdinOnce = src.StdinOnce ?? false;
  out.Env = src.Env ?? null;
  out.Cmd = src.Cmd ?? null;
  if (src.Healthcheck) out.Healthcheck = src.Healthcheck;
  if (src.ArgsEscaped) out.ArgsEscaped = true;
  out.Image = src.Image ?? '';
  out.Volumes = src.Volumes ?? null;
  out.WorkingDir = src.WorkingDir ?? '';
  out.Entrypoint = src.Entrypoint ?? null;
  if (src.NetworkDisabled) out.NetworkDisabled = true;
  if (src.MacAddress) out.MacAddress = src.MacAddress;
  out.OnBuild = src.OnBuild ?? null;
  out.Labels = src.Labels ?? null;
  if (src.StopSignal) out.StopSignal = src.StopSignal;
  if (src.StopTimeout !== undefined) out.StopTimeout = src.StopTimeout;
  if (src.Shell?.length) out.Shell = src.Shell;
  return out;
}

export interface InspectOptions {
  /** The snapshotter's view of the image's top layer: `{Name: 'overlay2', Data: {LowerDir…}}`. */
  graphDriver?: { Name: string; Data: Record<string, string> | null };
  apiVersion?: number;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Docker's ImageInspect; keys are produced in Docker's order. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  Container?: string;
  ContainerConfig?: ContainerConfig;
  DockerVersion: string;
  Author: string;
  Config: ContainerConfig;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  VirtualSize?: number;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  RootFS: { Type: 'layers'; Layers: string[] };
  Metadata: { LastTagTime: string };
}

/** `GET /images/{name}/json` in Docker's shape. */
export function inspectImage(store: ImageStore, nameOrId: string, opts: InspectOptions = {}): ImageInspect {
  const img = store.get(nameOrId);
  const c = img.config;
  const api = opts.apiVersion ?? 1.45;
  const out: Record<string, unknown> = {
    Id: img.id,
    RepoTags: img.repoTags,
    RepoDigests: img.repoDigests,
    Parent: img.parent ?? '',
    Comment: c.comment ?? '',
    Created: c.created ?? ZERO_TIME,
  };
  if (api < 1.45) {
    out.Container = c.container ?? '';
    out.ContainerConfig = dockerConfig(c.container_config);
  }
  out.DockerVersion = c.docker_version ?? '';
  out.Author = c.author ?? '';
  out.Config = dockerConfig(c.config);
  out.Architecture = c.architecture ?? '';
  if (c.variant) out.Variant = c.variant;
  out.Os = c.os ?? '';
  if (c['os.version']) out.OsVersion = c['os.version'];
  out.Size = img.size;
  if (api < 1.44) out.VirtualSize = img.size;
  out.GraphDriver = opts.graphDriver ?? { Data: null, Name: '' };
  out.RootFS = { Type: 'layers', Layers: c.rootfs.diff_ids };
  out.Metadata = { LastTagTime: img.lastTagTime ?? ZERO_TIME };
  return out as unknown as ImageInspect;
}

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** `GET /images/{name}/history`: newest first; `<missing>` for steps with no local image. */
export function imageHistory(store: ImageStore, nameOrId: string): HistoryItem[] {
  const img = store.get(nameOrId);
  const items: HistoryItem[] = [];
  let layer = 0;
  const history = img.config.history ?? [];
  for (const h of history) {
    let size = 0;
    if (!h.empty_layer) {
      if (layer >= img.layers.length) throw invalidArgument('too many non-empty layers in History section');
      size = img.layers[layer++].diffSize;
    }
    const t = h.created ? Date.parse(h.created) : Number.NaN;
    items.unshift({
      Id: '<missing>',
      Created: Number.isNaN(t) ? 0 : Math.floor(t / 1000),
      CreatedBy: h.created_by ?? '',
      Tags: null,
      Size: size,
      Comment: h.comment ?? '',
    });
  }
  let cur: Image | undefined = img;
  for (const item of items) {
    if (!cur) break;
    item.Id = cur.id;
    item.Tags = cur.repoTags.length ? cur.repoTags : null;
    cur = cur.parent && store.has(cur.parent) ? store.get(cur.parent) : undefined;
  }
  return items;
}

export interface PruneResult {
  ImagesDeleted: DeleteItem[] | null;
  SpaceReclaimed: number;
  /** ChainIDs no image uses any more. */
  removedLayers: Digest[];
}

/**
 * `docker image prune [-a]`: without `all`, dangling images (no tags) that are leaves; with it,
 * every image no container uses. Filters: until, label, label!.
 */
export async function pruneImages(
  store: ImageStore,
  opts: { all?: boolean; filters?: Filters; inUse?: InUse } = {},
): Promise<PruneResult> {
  const filters = opts.filters ?? {};
  checkFilters(filters, PRUNE_FILTERS);
  const danglingOnly = opts.all
    ? (boolFilter(filters, 'dangling') ?? false)
    : (boolFilter(filters, 'dangling') ?? true);
  const until = filters.until?.length
    ? Math.min(...filters.until.map((v) => parseTimestampNs(v) / 1e6))
    : undefined;
  const inUse = opts.inUse ?? (() => undefined);
  const items: DeleteItem[] = [];
  const removedLayers: Digest[] = [];
  let reclaimed = 0;
  const candidates = store
    .all()
    .filter((img) => {
      if (inUse(img.id)) return false;
      if (danglingOnly && (img.repoTags.length > 0 || store.children(img.id).length > 0)) return false;
      if (until !== undefined && createdMs(img) >= until) return false;
      const labels = img.config.config?.Labels;
      if (filters.label?.length && !matchLabels(labels, filters.label)) return false;
      if (filters['label!']?.length && filters['label!'].some((l) => matchLabels(labels, [l]))) return false;
      return true;
    })
    .sort((a, b) => createdMs(b) - createdMs(a));
  for (const img of candidates) {
    if (!store.has(img.id)) continue;
    try {
      const targets = danglingOnly ? [] : store.references(img.id).map((ref) => familiarString(ref));
      for (const t of [...targets, img.id]) {
        if (!store.has(img.id)) break;
        const r = await store.delete(t, { prune: true, inUse });
        items.push(...r.items);
        removedLayers.push(...r.removedLayers);
      }
      if (!store.has(img.id)) reclaimed += img.size;
    } catch (err) {
      if ((err as { kind?: string }).kind !== 'Conflict') throw err;
    }
  }
  return { ImagesDeleted: items.length ? items : null, SpaceReclaimed: reclaimed, removedLayers };
}
