import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { chainId, sha256 } from './digest.ts';
import { imageHistory, imageSummary, inspectImage, listImages, pruneImages } from './image-query.ts';
import { ImageStore } from './image-store.ts';
import type { ImageConfig } from './types.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
async function openStore(root?: string): Promise<ImageStore> {
  if (!root) {
    root = mkdtempSync(join(tmpdir(), 'berth-is-'));
    dirs.push(root);
  }
  return ImageStore.open(root);
}

/** Adds an image with the given layer contents; returns its ID. */
async function addImage(
  store: ImageStore,
  layers: string[],
  extra: Partial<ImageConfig> & { parent?: string } = {},
): Promise<string> {
  const { parent, ...rest } = extra;
  const diffIds = layers.map((l) => sha256(l));
  const config: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    created: '2024-01-01T00:00:00Z',
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: layers.map((l) => ({ created: '2024-01-01T00:00:00Z', created_by: `ADD ${l}` })),
    ...rest,
  };
  const { digest } = await store.content.ingest(JSON.stringify(config));
  const layerBlobs = await Promise.all(layers.map((l) => store.content.ingest(l)));
  await store.add({
    id: digest,
    parent,
    layers: diffIds.map((diffId, i) => ({
      diffId,
      digest: layerBlobs[i].digest,
      size: 1,
      tarSize: 1,
      diffSize: 10,
    })),
  });
  return digest;
}

test('image store: tag, resolve by name, ID, short ID, digest ref; persisted', async () => {
  const store = await openStore();
  const id = await addImage(store, ['a', 'b']);
  assert.equal(store.tag(id, 'busybox'), 'busybox:latest');
  store.tag('busybox', 'localhost:5000/x/y:1');
  for (const q of [
    id,
    id.slice(7),
    id.slice(7, 19),
    id.slice(0, 20),
    'busybox',
    'busybox:latest',
    'docker.io/library/busybox',
  ])
    assert.equal(store.get(q).id, id, q);
  assert.equal(store.get('localhost:5000/x/y:1').id, id);
  assert.throws(() => store.get('busybx'), {
    message: 'No such image: busybx:latest',
    kind: 'NotFound',
  } as object);
  assert.throws(() => store.get('Busybox'), /must be lowercase/);
  const img = store.get(id);
  assert.deepEqual(img.repoTags, ['busybox:latest', 'localhost:5000/x/y:1']);
  assert.equal(img.layers[1].chainId, chainId([sha256('a'), sha256('b')]));
  assert.equal(img.size, 20);
  store.addDigestRef(`busybox@sha256:${'c'.repeat(64)}`, id);
  assert.equal(store.get(`busybox@sha256:${'c'.repeat(64)}`).id, id);
  // reopened from disk
  const again = await ImageStore.open(store.root);
  assert.deepEqual(again.get(id).repoTags, ['busybox:latest', 'localhost:5000/x/y:1']);
  assert.deepEqual(again.get(id).repoDigests, [`busybox@sha256:${'c'.repeat(64)}`]);
  assert.ok(
    JSON.parse(readFileSync(join(store.root, 'repositories.json'), 'utf8')).refs[
      'docker.io/library/busybox:latest'
    ],
  );
  assert.throws(
    () => store.tag(id, `x@sha256:${'c'.repeat(64)}`),
    /refusing to create a tag with a digest reference/,
  );
  assert.throws(() => store.tag(id, 'sha256:abc'), /ambiguous tag/);
});

test('image store: a tag moves; the old image becomes dangling', async () => {
  const store = await openStore();
  const a = await addImage(store, ['a']);
  const b = await addImage(store, ['b']);
  store.tag(a, 'app:1');
  store.tag(b, 'app:1');
  assert.deepEqual(store.get(a).repoTags, []);
  assert.deepEqual(store.get(b).repoTags, ['app:1']);
  assert.deepEqual(
    listImages(store, { filters: { dangling: ['true'] } }).map((l) => l.image.id),
    [a],
  );
});

test('image store: rmi untags, deletes, refuses multi-repo images without force', async () => {
  const store = await openStore();
  const id = await addImage(store, ['a', 'b']);
  store.tag(id, 'one:latest');
  store.tag(id, 'two:latest');
  // By name: only the tag goes.
  let r = await store.delete('one');
  assert.deepEqual(r.items, [{ Untagged: 'one:latest' }]);
  assert.ok(store.has(id));
  store.tag(id, 'one:latest');
  // By ID with two repositories: refused unless forced.
  await assert.rejects(store.delete(id.slice(7, 19)), {
    kind: 'Conflict',
    message: `conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`,
  } as object);
  // In use by a running container: refused even with force.
  const running = () => ({ id: 'f'.repeat(64), running: true });
  await assert.rejects(store.delete(id, { force: true, inUse: running }), {
    message: `conflict: unable to delete ${id.slice(7, 19)} (cannot be forced) - image is being used by running container ffffffffffff`,
  } as object);
  // Removing the last tag of an image a stopped container uses: refused without force.
  await store.delete('two');
  const stopped = () => ({ id: 'e'.repeat(64), running: false });
  await assert.rejects(store.delete('one', { inUse: stopped }), {
    message: `conflict: unable to remove repository reference "one" (must force) - container eeeeeeeeeeee is using its referenced image ${id.slice(7, 19)}`,
  } as object);
  const layers = store.get(id).layers;
  r = await store.delete('one');
  assert.deepEqual(r.items, [
    { Untagged: 'one:latest' },
    { Deleted: id },
    { Deleted: layers[1].chainId },
    { Deleted: layers[0].chainId },
  ]);
});

test('image store: rmi by ID of a single-tag image untags and deletes, GCs blobs', async () => {
  const store = await openStore();
  const shared = await addImage(store, ['base']);
  const id = await addImage(store, ['base', 'top']);
  store.tag(id, 'app');
  const r = await store.delete(id);
  assert.deepEqual(r.items, [
    { Untagged: 'app:latest' },
    { Deleted: id },
    { Deleted: chainId([sha256('base'), sha256('top')]) },
  ]);
  assert.deepEqual(r.removedLayers, [chainId([sha256('base'), sha256('top')])]);
  assert.ok(!(await store.content.exists(id)));
  assert.ok(!(await store.content.exists(sha256('top'))));
  assert.ok(await store.content.exists(sha256('base')), 'a blob another image uses stays');
  assert.ok(store.has(shared));
  await assert.rejects(store.delete(id), { kind: 'NotFound' } as object);
});

test('image store: a stopped container blocks delete by ID unless forced; parents', async () => {
  const store = await openStore();
  const parent = await addImage(store, ['p']);
  const child = await addImage(store, ['p', 'c'], { parent });
  await assert.rejects(store.delete(parent), /image has dependent child images/);
  const stopped = (id: string) => (id === child ? { id: 'd'.repeat(64), running: false } : undefined);
  await assert.rejects(
    store.delete(child, { inUse: stopped }),
    /must be forced\) - image is being used by stopped container dddddddddddd/,
  );
  const r = await store.delete(child, { inUse: stopped, force: true });
  assert.deepEqual(
    r.items.filter((i) => 'Deleted' in i && (i.Deleted === child || i.Deleted === parent)),
    [{ Deleted: child }, { Deleted: parent }],
    'the untagged parent is pruned too',
  );
  assert.equal(store.all().length, 0);
});

test('image store: list filters, summary, inspect and history shapes', async () => {
  const store = await openStore();
  const old = await addImage(store, ['o'], {
    created: '2020-01-01T00:00:00Z',
    config: { Labels: { tier: 'db' } },
  });
  const mid = await addImage(store, ['m'], {
    created: '2022-01-01T00:00:00Z',
    config: { Labels: { tier: 'web', x: '' } },
  });
  const nu = await addImage(store, ['n'], { created: '2024-01-01T00:00:00Z' });
  store.tag(old, 'busybox:old');
  store.tag(mid, 'busybox:mid');
  store.tag(mid, 'other:1');
  const ids = (f: Record<string, string[]>) => listImages(store, { filters: f }).map((l) => l.image.id);
  assert.deepEqual(ids({}), [nu, mid, old]);
  assert.deepEqual(ids({ reference: ['busybox*'] }), [mid, old]);
  assert.deepEqual(ids({ reference: ['busybox:mid'] }), [mid]);
  assert.deepEqual(listImages(store, { filters: { reference: ['busybox'] } })[0].repoTags, ['busybox:mid']);
  assert.deepEqual(ids({ dangling: ['true'] }), [nu]);
  assert.deepEqual(ids({ dangling: ['false'] }), [mid, old]);
  assert.deepEqual(ids({ before: ['busybox:mid'] }), [old]);
  assert.deepEqual(ids({ since: ['busybox:old'] }), [nu, mid]);
  assert.deepEqual(ids({ label: ['tier'] }), [mid, old]);
  assert.deepEqual(ids({ label: ['tier=web'] }), [mid]);
  assert.deepEqual(ids({ label: ['tier=web', 'x'] }), [mid]);
  assert.throws(() => ids({ bogus: ['1'] }), /invalid filter 'bogus'/);
  assert.throws(() => ids({ dangling: ['maybe'] }), /invalid filter 'dangling=maybe'/);

  const summary = imageSummary(listImages(store).find((l) => l.image.id === nu)!, 1.41);
  assert.deepEqual(summary, {
    Id: nu,
    ParentId: '',
    RepoTags: ['<none>:<none>'],
    RepoDigests: ['<none>@<none>'],
    Created: 1704067200,
    Size: 10,
    SharedSize: -1,
    VirtualSize: 10,
    Labels: {},
    Containers: -1,
  });

  const ins = inspectImage(store, 'busybox:mid', {
    graphDriver: { Name: 'overlay2', Data: { MergedDir: '/m' } },
  });
  assert.deepEqual(Object.keys(ins), [
    'Id',
    'RepoTags',
    'RepoDigests',
    'Parent',
    'Comment',
    'Created',
    'DockerVersion',
    'Author',
    'Config',
    'Architecture',
    'Os',
    'Size',
    'GraphDriver',
    'RootFS',
    'Metadata',
  ]);
  const i = ins;
  assert.deepEqual(i.RepoTags, ['busybox:mid', 'other:1']);
  assert.deepEqual(i.RootFS, { Type: 'layers', Layers: [sha256('m')] });
  assert.deepEqual(i.Config.Labels, { tier: 'web', x: '' });
  assert.equal(i.Config.Cmd, null);
  assert.match(i.Metadata.LastTagTime, /^\d{4}-/);
  const legacy = inspectImage(store, mid, { apiVersion: 1.41 });
  assert.equal(legacy.VirtualSize, 10);
  assert.equal(legacy.Container, '');

  const hist = imageHistory(store, 'busybox:mid');
  assert.deepEqual(hist, [
    {
      Id: mid,
      Created: 1704067200,
      CreatedBy: 'ADD m',
      Tags: ['busybox:mid', 'other:1'],
      Size: 10,
      Comment: '',
    },
  ]);
});

test('image store: history marks steps without an image <missing>', async () => {
  const store = await openStore();
  const id = await addImage(store, ['a', 'b'], {
    history: [
      { created: '2024-01-01T00:00:00Z', created_by: 'ADD a' },
      { created: '2024-01-01T00:00:01Z', created_by: 'ENV x=1', empty_layer: true },
      { created: '2024-01-01T00:00:02Z', created_by: 'ADD b', comment: 'c' },
    ],
  });
  const h = imageHistory(store, id);
  assert.deepEqual(
    h.map((x) => [x.Id, x.CreatedBy, x.Size]),
    [
      [id, 'ADD b', 10],
      ['<missing>', 'ENV x=1', 0],
      ['<missing>', 'ADD a', 10],
    ],
  );
});

test('image store: prune dangling, prune -a skips used images', async () => {
  const store = await openStore();
  const a = await addImage(store, ['a']);
  const b = await addImage(store, ['b']);
  const c = await addImage(store, ['c']);
  store.tag(b, 'b');
  store.tag(c, 'c');
  let r = await pruneImages(store);
  assert.deepEqual(r.ImagesDeleted, [{ Deleted: a }, { Deleted: sha256('a') }]);
  assert.equal(r.SpaceReclaimed, 10);
  r = await pruneImages(store, {
    all: true,
    inUse: (id) => (id === c ? { id: 'x', running: false } : undefined),
  });
  assert.deepEqual(r.ImagesDeleted, [{ Untagged: 'b:latest' }, { Deleted: b }, { Deleted: sha256('b') }]);
  assert.deepEqual(
    store.all().map((i) => i.id),
    [c],
  );
});
