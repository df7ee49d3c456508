import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { chainId, chainIds } from '../digest.ts';
import { inspectImage } from '../image-query.ts';
import { MediaType } from '../types.ts';
import { applyChanges } from './changes.ts';
import { importImage } from './import.ts';
import { loadArchive } from './load.ts';
import { saveImages } from './save.ts';
import { readTar, type TarWriteEntry } from './tar.ts';
import {
  cleanupStores,
  collect,
  fakeSnapshotter,
  layerTar,
  rawEntry,
  sha,
  tar,
  tempStore,
} from './testutil.ts';

after(cleanupStores);

const src = (b: Buffer) => Readable.from([b]);

interface Built {
  config: Buffer;
  id: string;
  blobs: Buffer[];
  diffIds: string[];
}

/** A config over uncompressed layers, and the layers' blobs compressed as asked. */
async function buildImage(
  files: Record<string, string>[],
  compress: ('none' | 'gzip' | 'zstd')[] = [],
  extra: object = {},
): Promise<Built> {
  const tars = await Promise.all(files.map((f) => layerTar(f)));
  const diffIds = tars.map((t) => sha(t));
  const blobs = tars.map((t, i) =>
    compress[i] === 'gzip' ? gzipSync(t) : compress[i] === 'zstd' ? zstdCompressSync(t) : t,
  );
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2024-02-03T04:05:06Z',
      config: { Cmd: ['sh'], Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: files.map(() => ({ created: '2024-02-03T04:05:06Z', created_by: 'ADD' })),
      ...extra,
    }),
  );
  return { config, id: sha(config), blobs, diffIds };
}

const mt = { none: MediaType.OciLayer, gzip: MediaType.OciLayerGzip, zstd: MediaType.OciLayerZstd };

/** An OCI layout's entries for images with index annotations. */
function ociEntries(
  images: { img: Built; compress?: ('none' | 'gzip' | 'zstd')[]; annotations?: Record<string, string> }[],
): TarWriteEntry[] {
  const entries: TarWriteEntry[] = [{ name: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' }];
  const manifests = [];
  for (const { img, compress = [], annotations } of images) {
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, digest: img.id, size: img.config.length },
        layers: img.blobs.map((b, i) => ({
          mediaType: mt[compress[i] ?? 'none'],
          digest: sha(b),
          size: b.length,
        })),
      }),
    );
    entries.push({ name: `blobs/sha256/${img.id.slice(7)}`, body: img.config });
    for (const b of img.blobs) entries.push({ name: `blobs/sha256/${sha(b).slice(7)}`, body: b });
    entries.push({ name: `blobs/sha256/${sha(manifest).slice(7)}`, body: manifest });
    manifests.push({
      mediaType: MediaType.OciManifest,
      digest: sha(manifest),
      size: manifest.length,
      annotations,
    });
  }
  entries.push({ name: 'index.json', body: JSON.stringify({ schemaVersion: 2, manifests }) });
  return entries;
}

async function archiveEntries(stream: AsyncIterable<Uint8Array>): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for await (const e of readTar(stream)) out.set(e.name, await collect(e.body));
  return out;
}

test('load: an OCI layout with gzip, zstd and plain layers, named by annotations', async () => {
  const store = await tempStore();
  const snap = fakeSnapshotter();
  const compress = ['gzip', 'zstd', 'none'] as const;
  const img = await buildImage([{ 'a.txt': 'a' }, { 'b.txt': 'b' }, { 'c.txt': 'c' }], [...compress]);
  const archive = await tar(
    ociEntries([
      {
        img,
        compress: [...compress],
        annotations: { 'org.opencontainers.image.ref.name': 'example.com/app:1' },
      },
      {
        img,
        compress: [...compress],
        annotations: { 'io.containerd.image.name': 'docker.io/library/app:2' },
      },
      { img, compress: [...compress], annotations: { 'org.opencontainers.image.ref.name': 'latest' } },
    ]),
  );
  const progress: string[] = [];
  const res = await loadArchive(store, src(archive), { ...snap, onProgress: (m) => progress.push(m) });
  assert.deepEqual(res.images, [{ id: img.id, tags: ['example.com/app:1', 'app:2'] }]);
  const chains = chainIds(img.diffIds);
  assert.deepEqual(snap.calls, chains, 'each layer unpacked once, bottom up');
  assert.equal(snap.layers.get(chains[1])?.parent, chains[0]);
  const got = store.get('app:2');
  assert.equal(got.id, img.id);
  assert.deepEqual(
    got.layers.map((l) => l.mediaType),
    [mt.gzip, mt.zstd, mt.none],
  );
  assert.deepEqual(
    got.layers.map((l) => l.digest),
    img.blobs.map((b) => sha(b)),
  );
  assert.equal(got.manifests.length, 1);
  assert.deepEqual(inspectImage(store, img.id).RootFS.Layers, img.diffIds);
  assert.ok(progress.includes('Loaded image: app:2'));
  // Loading again reuses the unpacked layers.
  await loadArchive(store, src(archive), snap);
  assert.equal(snap.calls.length, 3);
});

test('load: an image index picks the host platform', async () => {
  const store = await tempStore();
  const snap = fakeSnapshotter();
  const amd = await buildImage([{ f: 'amd64' }]);
  const arm = await buildImage([{ f: 'arm64' }], [], { architecture: 'arm64' });
  const entries = ociEntries([{ img: amd }, { img: arm }]);
  const inner = JSON.parse(entries.at(-1)!.body as string).manifests;
  inner[0].platform = { os: 'linux', architecture: 'amd64' };
  inner[1].platform = { os: 'linux', architecture: 'arm64' };
  const idx = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: inner }),
  );
  entries.splice(
    -1,
    1,
    { name: `blobs/sha256/${sha(idx).slice(7)}`, body: idx },
    {
      name: 'index.json',
      body: JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: MediaType.OciIndex,
            digest: sha(idx),
            size: idx.length,
            annotations: { 'org.opencontainers.image.ref.name': 'multi:1' },
          },
        ],
      }),
    },
  );
  const res = await loadArchive(store, src(await tar(entries)), {
    ...snap,
    platform: { os: 'linux', architecture: 'arm64' },
  });
  assert.deepEqual(res.images, [{ id: arm.id, tags: ['multi:1'] }]);
});

test('load: a legacy docker-archive with per-layer directories and a symlinked layer', async () => {
  const store = await tempStore();
  const snap = fakeSnapshotter();
  const img = await buildImage([{ x: '1' }, { y: '2' }, { x: '1' }]);
  const [l0, l1] = img.blobs;
  const archive = await tar([
    { name: 'aaaa', type: 'dir' },
    { name: 'aaaa/VERSION', body: '1.0' },
    { name: 'aaaa/json', body: '{}' },
    { name: 'aaaa/layer.tar', body: l0 },
    { name: 'bbbb/layer.tar', body: l1 },
    { name: `${img.id.slice(7)}.json`, body: img.config },
    {
      name: 'manifest.json',
      body: JSON.stringify([
        {
          Config: `${img.id.slice(7)}.json`,
          RepoTags: ['busybox:latest', 'me/tool:v1'],
          Layers: ['aaaa/layer.tar', 'bbbb/layer.tar', 'cccc/layer.tar'],
        },
      ]),
    },
    { name: 'repositories', body: '{"busybox":{"latest":"cccc"}}' },
  ]);
  // cccc/layer.tar -> ../aaaa/layer.tar, as docker save writes repeated layers
  const withLink = Buffer.concat([
    archive.subarray(0, archive.length - 1024),
    rawEntry('cccc/layer.tar', '2', '', '../aaaa/layer.tar'),
    Buffer.alloc(1024),
  ]);
  const res = await loadArchive(store, src(withLink), snap);
  assert.deepEqual(res.images, [{ id: img.id, tags: ['busybox:latest', 'me/tool:v1'] }]);
  assert.equal(store.get('busybox').layers.length, 3);
  assert.equal(store.get('me/tool:v1').layers[2].chainId, chainId(img.diffIds));
  // A second archive moving the tag reports the replaced image.
  const other = await buildImage([{ z: '3' }]);
  const second = await tar([
    { name: 'l/layer.tar', body: other.blobs[0] },
    { name: 'c.json', body: other.config },
    {
      name: 'manifest.json',
      body: JSON.stringify([{ Config: 'c.json', RepoTags: ['busybox:latest'], Layers: ['l/layer.tar'] }]),
    },
  ]);
  const res2 = await loadArchive(store, src(second), snap);
  assert.deepEqual(res2.replaced, [{ tag: 'busybox:latest', previousId: img.id }]);
  assert.deepEqual(store.get(img.id).repoTags, ['me/tool:v1']);
});

test('save → load round trip keeps the image ID; the archive has Docker 25 form', async () => {
  const store = await tempStore();
  const snap = fakeSnapshotter();
  const a = await buildImage([{ a: 'a' }, { b: 'b' }], ['gzip', 'zstd']);
  const b = await buildImage([{ a: 'a' }, { c: 'c' }], ['gzip', 'none']);
  await loadArchive(
    store,
    src(
      await tar(
        ociEntries([
          {
            img: a,
            compress: ['gzip', 'zstd'],
            annotations: { 'io.containerd.image.name': 'docker.io/library/a:1' },
          },
          {
            img: b,
            compress: ['gzip', 'none'],
            annotations: { 'io.containerd.image.name': 'docker.io/library/b:1' },
          },
        ]),
      ),
    ),
    snap,
  );
  store.tag('a:1', 'a:2');
  const saved = await collect(saveImages(store, ['a', b.id.slice(7, 19)]));
  const files = await archiveEntries(src(saved));
  const manifest = JSON.parse(files.get('manifest.json')!.toString());
  assert.deepEqual(manifest, [
    {
      Config: `blobs/sha256/${a.id.slice(7)}`,
      RepoTags: ['a:1', 'a:2'],
      Layers: a.diffIds.map((d) => `blobs/sha256/${d.slice(7)}`),
    },
    {
      Config: `blobs/sha256/${b.id.slice(7)}`,
      RepoTags: null,
      Layers: b.diffIds.map((d) => `blobs/sha256/${d.slice(7)}`),
    },
  ]);
  assert.deepEqual(files.get(`blobs/sha256/${a.id.slice(7)}`), a.config, 'config byte-identical');
  for (const d of [...a.diffIds, ...b.diffIds])
    assert.equal(sha(files.get(`blobs/sha256/${d.slice(7)}`)!), d, 'layers uncompressed');
  assert.deepEqual(JSON.parse(files.get('oci-layout')!.toString()), { imageLayoutVersion: '1.0.0' });
  const index = JSON.parse(files.get('index.json')!.toString());
  assert.deepEqual(
    index.manifests.map((m: { annotations?: object }) => m.annotations),
    [
      { 'io.containerd.image.name': 'docker.io/library/a:1', 'org.opencontainers.image.ref.name': '1' },
      { 'io.containerd.image.name': 'docker.io/library/a:2', 'org.opencontainers.image.ref.name': '2' },
      undefined,
    ],
  );
  assert.deepEqual(JSON.parse(files.get('repositories')!.toString()), {
    a: { '1': a.diffIds[1].slice(7), '2': a.diffIds[1].slice(7) },
  });
  for (const [name, data] of files)
    if (/^blobs\/sha256\/[a-f0-9]{64}$/.test(name)) assert.equal(sha(data).slice(7), name.slice(13));

  const fresh = await tempStore();
  const snap2 = fakeSnapshotter();
  const res = await loadArchive(fresh, src(saved), snap2);
  assert.deepEqual(
    res.images.map((i) => i.id),
    [a.id, b.id],
  );
  assert.deepEqual(fresh.get('a:2').repoTags, ['a:1', 'a:2']);
  assert.deepEqual(snap2.calls, [...chainIds(a.diffIds), chainIds(b.diffIds)[1]]);
  // saving from the reloaded store gives the same bytes
  assert.deepEqual(await collect(saveImages(fresh, ['a', b.id.slice(7, 19)])), saved);
  assert.throws(() => saveImages(store, ['nope']), { message: 'No such image: nope:latest' } as object);
});

test('load: a DiffID mismatch is refused and nothing is stored', async () => {
  const store = await tempStore();
  const snap = fakeSnapshotter();
  const good = await buildImage([{ a: 'a' }, { b: 'b' }]);
  const bad = await buildImage([{ a: 'a' }, { b: 'b' }], [], {
    rootfs: { type: 'layers', diff_ids: [good.diffIds[0], sha('something else')] },
  });
  const archive = await tar(
    ociEntries([
      { img: { ...bad, blobs: good.blobs }, annotations: { 'org.opencontainers.image.ref.name': 'x:1' } },
    ]),
  );
  await assert.rejects(loadArchive(store, src(archive), snap), {
    kind: 'InvalidArgument',
    message: `invalid diffID for layer 1: expected ${sha('something else')}, got ${good.diffIds[1]}`,
  } as object);
  assert.deepEqual(store.all(), []);
  assert.deepEqual(await store.content.list(), []);
  assert.ok(!snap.layers.has(chainIds(bad.diffIds)[1]), 'the bad layer was not committed');
});

test('load: an unpacker must read the whole layer and report its DiffID', async () => {
  const good = await buildImage([{ a: 'a' }, { b: 'b' }]);
  const archive = await tar(
    ociEntries([{ img: good, annotations: { 'org.opencontainers.image.ref.name': 'x:1' } }]),
  );
  // One that claims the expected DiffID without reading the stream.
  const lazy = await tempStore();
  await assert.rejects(
    loadArchive(lazy, src(archive), {
      unpackLayer: async (_c, _p, _tar, expected) => ({ diffId: expected, size: 0 }),
    }),
    {
      kind: 'Internal',
      message: /layer 0 \(sha256:[0-9a-f]{64}\): the unpacker did not read the whole layer/,
    } as object,
  );
  assert.deepEqual(lazy.all(), []);
  // One that reads everything: the layer records get the tar sizes counted on the way.
  const store = await tempStore();
  const { images } = await loadArchive(store, src(archive), fakeSnapshotter());
  const layers = store.get(images[0].id).layers;
  assert.deepEqual(
    layers.map((l) => l.tarSize),
    good.blobs.map((b) => b.length),
  );
});

test('load: hostile and broken archives are refused, naming the entry', async () => {
  const store = await tempStore();
  const snap = fakeSnapshotter();
  const end = Buffer.alloc(1024);
  const cases: [Buffer, RegExp][] = [
    [
      Buffer.concat([rawEntry('../evil', '0', 'x'), end]),
      /invalid archive entry "\.\.\/evil": path outside the archive/,
    ],
    [Buffer.concat([rawEntry('a/../../evil', '0', 'x'), end]), /invalid archive entry "a\/\.\.\/\.\.\/evil"/],
    [Buffer.concat([rawEntry('/etc/passwd', '0', 'x'), end]), /invalid archive entry "\/etc\/passwd"/],
    [
      Buffer.concat([rawEntry('x/layer.tar', '2', '', '../../etc/shadow'), end]),
      /invalid archive entry "x\/layer.tar": link target outside/,
    ],
    [Buffer.concat([rawEntry('x/layer.tar', '2', '', '/etc/shadow'), end]), /link target outside/],
    [Buffer.concat([rawEntry('dev', '3'), end]), /unsupported type '3'/],
    [Buffer.concat([rawEntry(`blobs/sha256/${'a'.repeat(64)}`, '0', 'not that'), end]), /digest mismatch/],
    [
      Buffer.concat([rawEntry('manifest.json', '0', '[{"Config":"../c.json","Layers":[]}]'), end]),
      /path outside the archive/,
    ],
    [
      Buffer.concat([rawEntry('manifest.json', '0', '[{"Config":"c.json","Layers":[]}]'), end]),
      /config c.json is missing/,
    ],
    [Buffer.concat([rawEntry('hello', '0', 'x'), end]), /no manifest.json or index.json/],
    [rawEntry('hello', '0', 'x').subarray(0, 700), /unexpected end of data/],
  ];
  for (const [archive, message] of cases)
    await assert.rejects(loadArchive(store, src(archive), snap), message);
  assert.deepEqual(await store.content.list(), []);
  assert.deepEqual(snap.calls, []);
});

test('import: a rootfs tar with --change becomes a one-layer image', async () => {
  const store = await tempStore();
  const snap = fakeSnapshotter();
  const rootfs = await layerTar({ 'bin/sh': '#!', 'etc/hostname': 'x' });
  const res = await importImage(store, src(gzipSync(rootfs)), {
    ...snap,
    reference: 'imported:v1',
    changes: ['CMD ["/bin/sh"]', 'ENV A=1 B="two words"', 'EXPOSE 80 53/udp', 'WORKDIR /app', 'LABEL x=y'],
    now: new Date('2024-05-06T07:08:09Z'),
  });
  assert.equal(res.tag, 'imported:v1');
  const img = store.get('imported:v1');
  assert.equal(img.id, res.id);
  assert.deepEqual(img.config.rootfs.diff_ids, [sha(rootfs)]);
  assert.equal(img.layers[0].mediaType, MediaType.OciLayerGzip);
  assert.equal(img.layers[0].tarSize, rootfs.length);
  assert.deepEqual(snap.calls, [sha(rootfs)]);
  const c = inspectImage(store, res.id);
  assert.deepEqual(c.Config.Cmd, ['/bin/sh']);
  assert.deepEqual(c.Config.Env, ['A=1', 'B=two words']);
  assert.deepEqual(c.Config.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.equal(c.Config.WorkingDir, '/app');
  assert.equal(c.Comment, 'Imported from -');
  assert.equal(c.Created, '2024-05-06T07:08:09.000Z');
  // and it can be saved and loaded elsewhere with the same ID
  const fresh = await tempStore();
  const back = await loadArchive(fresh, saveImages(store, ['imported:v1']), fakeSnapshotter());
  assert.deepEqual(back.images, [{ id: res.id, tags: ['imported:v1'] }]);
  await assert.rejects(
    importImage(store, src(rootfs), { ...snap, changes: ['RUN rm -rf /'] }),
    /run is not a valid change command/,
  );
});

test('changes: Dockerfile-ish instructions', () => {
  const c = applyChanges({ Env: ['PATH=/bin'] }, [
    'ENTRYPOINT /entry.sh',
    'ENV HOME /root',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile variable
    'ENV GREETING="hi $HOME" P=${PATH}:/x',
    'LABEL "a b"=c d=\'e f\'',
    'USER 1000:1000',
    'WORKDIR /a',
    'WORKDIR b',
    'VOLUME ["/data", "/logs"]',
    'VOLUME /cache',
    'HEALTHCHECK --interval=5s --retries=2 CMD curl -f http://x/',
    'EXPOSE 8000-8002/tcp',
    'ONBUILD run echo hi',
  ]);
  assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c', '/entry.sh']);
  assert.equal(c.Cmd, null);
  assert.deepEqual(c.Env, ['PATH=/bin', 'HOME=/root', 'GREETING=hi /root', 'P=/bin:/x']);
  assert.deepEqual(c.Labels, { 'a b': 'c', d: 'e f' });
  assert.equal(c.User, '1000:1000');
  assert.equal(c.WorkingDir, '/a/b');
  assert.deepEqual(c.Volumes, { '/data': {}, '/logs': {}, '/cache': {} });
  assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'curl -f http://x/'], Interval: 5e9, Retries: 2 });
  assert.deepEqual(applyChanges({}, ['HEALTHCHECK CMD ["true"]']).Healthcheck, { Test: ['CMD', 'true'] });
  assert.deepEqual(applyChanges({}, ['HEALTHCHECK NONE']).Healthcheck, { Test: ['NONE'] });
  assert.throws(
    () => applyChanges({}, ['HEALTHCHECK RUN x']),
    /Unknown type "RUN" in HEALTHCHECK \(try CMD\)/,
  );
  // dockerd's list has no STOPSIGNAL
  assert.throws(() => applyChanges({}, ['STOPSIGNAL 9']), /stopsignal is not a valid change command/);
  assert.deepEqual(Object.keys(c.ExposedPorts!), ['8000/tcp', '8001/tcp', '8002/tcp']);
  assert.deepEqual(c.OnBuild, ['RUN echo hi']);
  assert.throws(() => applyChanges({}, ['FROM x']), /from is not a valid change command/);
  assert.throws(() => applyChanges({}, ['ONBUILD FROM x']), /FROM isn't allowed as an ONBUILD trigger/);
  assert.throws(() => applyChanges({}, ['EXPOSE http']), /invalid containerPort: http/);
  assert.throws(() => applyChanges({}, ['LABEL "unterminated']), /matching "/);
});
