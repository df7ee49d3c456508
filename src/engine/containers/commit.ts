// `docker commit` (POST /commit): a container's changes become a new image on top of its own.
//
// The layer is the snapshotter's diff of the container's snapshot without the engine's files
// (changes.ts commitLayer), stored as a blob in the content store and unpacked as a snapshot
// through the same path `load` and `import` take (image/archive/layers.ts ensureLayer), so the
// new image runs at once. No changes: no layer, a history entry marked empty_layer, as dockerd.
// The config is the request's Config (the container's when none is sent) with the `--change`
// instructions applied, merged with the container's config as dockerd merges them; its history
// is the image's plus one entry; the image's local parent is the container's image.
//
// A running container is paused (events included) while its diff is read when `pause` is set
// (the default). Without it the container is still frozen for that time, silently: the diff
// walks the layer's directory by path, and a process free to swap a directory for a symlink
// meanwhile could make it read files outside the layer (CVE-2018-15664).

import { Readable } from 'node:stream';
import { conflict, errorKind, invalidArgument, notFound } from '../../common/errors.ts';
import { applyChanges } from '../../image/archive/changes.ts';
import { ensureLayer, type UnpackLayer } from '../../image/archive/layers.ts';
import type { Digest } from '../../image/digest.ts';
import { dockerConfig } from '../../image/image-query.ts';
import type { Image, LayerRecord } from '../../image/image-store.ts';
import {
  familiarString,
  formatReference,
  parseReference,
  type Reference,
  withDefaultTag,
} from '../../image/reference.ts';
import type {
  HistoryEntry,
  ImageConfig,
  ContainerConfig as ImageContainerConfig,
} from '../../image/types.ts';
import type { ContainerConfig } from '../../spec/docker/api.ts';
import { mergeImageConfig } from '../../spec/docker/container.ts';
import { chainIdOf } from '../../storage/digest.ts';
import type { EventBus } from '../events.ts';
import type { Images } from '../images.ts';
import { containerEvent } from './archive.ts';
import { commitLayer, lowerOf } from './changes.ts';
import type { Containers } from './containers.ts';
import type { ContainerRecord } from './record.ts';

export interface CommitRequest {
  container: string;
  repo?: string;
  tag?: string;
  author?: string;
  comment?: string;
  /** Pause a running container while its changes are read (dockerd's default: true). */
  pause: boolean;
  /** `--change` instructions: `CMD ["sh"]`, `ENV A=b` … */
  changes: string[];
  /** The request body; null or absent: the container's own config. */
  config?: ContainerConfig | null;
}

export interface CommitDeps {
  containers: Containers;
  images: Images;
  events: EventBus;
}

/** dockerd's RepoTagReference: no repository, no tag (an untagged image). */
export function commitReference(repo?: string, tag?: string): Reference | undefined {
  if (!repo) return undefined;
  const ref = parseReference(tag ? `${repo}:${tag}` : repo);
  if (ref.digest) throw invalidArgument('cannot commit to digest reference');
  return withDefaultTag(ref);
}

const strings = (v: string[] | string | null | undefined) =>
  v === undefined || v === null ? v : typeof v === 'string' ? [v] : v;

/** A Docker API config in the image config's shape. */
function asImageConfig(c: ContainerConfig): ImageContainerConfig {
  const { Cmd, Entrypoint, Shell, StopTimeout, Healthcheck, ...rest } = c;
  const out: ImageContainerConfig = { ...rest, Cmd: strings(Cmd), Entrypoint: strings(Entrypoint) };
  const shell = strings(Shell);
  if (shell) out.Shell = shell;
  if (StopTimeout !== undefined && StopTimeout !== null) out.StopTimeout = StopTimeout;
  if (Healthcheck) out.Healthcheck = { ...Healthcheck, Test: strings(Healthcheck.Test) ?? undefined };
  return out;
}

/**
 * The new image's config: `base` (the request's or the container's) with `changes` applied, then
 * what it leaves unset taken from the container's (dockerd's merge, the one create uses).
 */
export function commitConfig(
  base: ContainerConfig,
  changes: readonly string[],
  container: ContainerConfig,
): ImageContainerConfig {
  const changed = applyChanges(asImageConfig(base), [...changes]);
  const out = asImageConfig(mergeImageConfig(changed as ContainerConfig, asImageConfig(container)));
  // as dockerd writes them when nothing sets them
  if (out.Env?.length === 0) out.Env = null;
  if (out.Volumes && Object.keys(out.Volumes).length === 0) out.Volumes = null;
  return out;
}

/** The image config of the commit: the parent's, the new config, one more history entry. */
export function commitImageConfig(opts: {
  parent: ImageConfig;
  config: ImageContainerConfig;
  container: ContainerRecord;
  diffId?: string;
  author?: string;
  comment?: string;
  created: string;
}): ImageConfig {
  const { parent, author, comment, created } = opts;
  const history: HistoryEntry = {
    created,
    ...(author ? { author } : {}),
    created_by: (strings(opts.container.Config.Cmd) ?? []).join(' '),
    ...(comment ? { comment } : {}),
    ...(opts.diffId ? {} : { empty_layer: true }),
  };
  return {
    architecture: parent.architecture,
    ...(parent.variant ? { variant: parent.variant } : {}),
    ...(author ? { author } : {}),
    ...(comment ? { comment } : {}),
    config: dockerConfig(opts.config),
    container: opts.container.ID,
    container_config: dockerConfig(asImageConfig(opts.container.Config)),
    created,
    docker_version: 'berth',
    history: [...(parent.history ?? []), history],
    os: parent.os,
    ...(parent['os.version'] ? { 'os.version': parent['os.version'] } : {}),
    ...(parent['os.features'] ? { 'os.features': parent['os.features'] } : {}),
    rootfs: { type: 'layers', diff_ids: [...parent.rootfs.diff_ids, ...(opts.diffId ? [opts.diffId] : [])] },
  };
}

const withoutChainId = ({ chainId: _, ...l }: LayerRecord) => l;

/** POST /commit. */
export async function commitContainer(deps: CommitDeps, req: CommitRequest): Promise<{ Id: Digest }> {
  const { containers, images } = deps;
  const store = images.store;
  const rec = containers.store.get(req.container);
  if (rec.State.Dead) throw conflict(`You cannot commit container ${rec.ID} which is Dead`);
  if (rec.State.Status === 'removing')
    throw conflict(`You cannot commit container ${rec.ID} which is being removed`);
  const ref = commitReference(req.repo, req.tag);
  const config = commitConfig(req.config ?? rec.Config, req.changes, rec.Config);
  let image: Image;
  try {
    image = store.get(rec.Image);
  } catch (err) {
    if (errorKind(err) === 'NotFound')
      throw notFound(`the image of container ${rec.ID} is gone: ${rec.Image}`);
    throw err;
  }

  const key = `container-${rec.ID}`;
  const blob = await readDiff(deps, rec, key, req.pause);
  const release = store.lease([blob.digest]);
  let configDigest: Digest | undefined;
  try {
    const layers = image.layers.map(withoutChainId);
    let diffId: Digest | undefined;
    if (!blob.empty) {
      diffId = blob.digest; // the blob is the uncompressed tar: its digest is the DiffID
      const top = image.layers.at(-1)?.chainId;
      const unpackLayer: UnpackLayer = async (_chainId, parent, tar, expected) => {
        const r = await images.snapshots.unpack(parent, tar, { diffId: expected });
        return { diffId: r.diffId as Digest, size: r.size };
      };
      const layer = await ensureLayer(
        store,
        { unpackLayer, hasLayer: (c) => images.snapshots.has(c) },
        {
          blob: blob.digest,
          diffId,
          chainId: chainIdOf(top, diffId) as Digest,
          parent: top,
          index: layers.length,
        },
      );
      layers.push(withoutChainId(layer));
    }
    const imageConfig = commitImageConfig({
      parent: image.config,
      config,
      container: rec,
      diffId,
      author: req.author,
      comment: req.comment,
      created: new Date().toISOString(),
    });
    configDigest = (await store.content.ingest(JSON.stringify(imageConfig))).digest as Digest;
    await store.add({ id: configDigest, layers, parent: image.id });
    if (ref) store.setTag(formatReference(ref), configDigest);
    containerEvent(deps.events, rec, 'commit', {
      comment: req.comment ?? '',
      imageID: configDigest,
      imageRef: ref ? familiarString(ref) : '',
    });
    return { Id: configDigest };
  } catch (err) {
    release();
    if (!store.blobInUse(blob.digest)) await store.content.delete(blob.digest).catch(() => {});
    if (configDigest && !store.blobInUse(configDigest))
      await store.content.delete(configDigest).catch(() => {});
    throw err;
  } finally {
    release();
    if (blob.empty && !store.blobInUse(blob.digest)) await store.content.delete(blob.digest).catch(() => {});
  }
}

/** The container's layer into the content store, the container paused or frozen meanwhile. */
async function readDiff(
  deps: CommitDeps,
  rec: ContainerRecord,
  key: string,
  pause: boolean,
): Promise<{ digest: Digest; empty: boolean }> {
  const { containers, images } = deps;
  const now = containers.store.get(rec.ID);
  let thaw = async () => {};
  if (now.State.Running && !now.State.Paused) {
    if (pause) {
      await containers.pause(rec.ID);
      thaw = () => containers.unpause(rec.ID);
    } else {
      await containers.runtime.pause(rec.ID);
      thaw = () => containers.runtime.resume(rec.ID);
    }
  }
  try {
    const layer = commitLayer(images.snapshots.diff(key), lowerOf(images.snapshots, key));
    const blob = await images.store.content.ingest(Readable.from(layer.tar));
    return { digest: blob.digest as Digest, empty: layer.count() === 0 };
  } finally {
    await thaw().catch(() => {});
  }
}
