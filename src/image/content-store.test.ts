import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { ContentStore } from './content-store.ts';
import { sha256 } from './digest.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'berth-cs-'));
  dirs.push(d);
  return d;
}
const blobNames = (root: string) => readdirSync(join(root, 'blobs', 'sha256'));

test('content store: ingest, read, info, list, delete', async () => {
  const root = tmp();
  const cs = await ContentStore.open(root);
  const data = Buffer.from('hello blob');
  const info = await cs.ingest(Readable.from([data.subarray(0, 3), data.subarray(3)]));
  assert.deepEqual(info, { digest: sha256(data), size: data.length });
  assert.ok(await cs.exists(info.digest));
  assert.deepEqual(await cs.read(info.digest), data);
  assert.deepEqual(await cs.info(info.digest), info);
  assert.deepEqual(await cs.list(), [info]);
  const chunks: Buffer[] = [];
  for await (const c of await cs.open(info.digest)) chunks.push(c as Buffer);
  assert.deepEqual(Buffer.concat(chunks), data);
  await cs.delete(info.digest);
  assert.ok(!(await cs.exists(info.digest)));
  await assert.rejects(cs.read(info.digest), { kind: 'NotFound' } as object);
  await assert.rejects(cs.open(info.digest), { kind: 'NotFound' } as object);
  assert.deepEqual(readdirSync(join(root, 'ingest')), []);
});

test('content store: a wrong digest or size is refused and nothing is stored', async () => {
  const root = tmp();
  const cs = await ContentStore.open(root);
  await assert.rejects(cs.ingest('abc', { digest: sha256('abd') }), /digest mismatch/);
  await assert.rejects(cs.ingest('abc', { size: 2 }), /size mismatch/);
  await assert.rejects(cs.ingest('abc', { size: 4 }), /size mismatch/);
  assert.deepEqual(blobNames(root), []);
  assert.deepEqual(readdirSync(join(root, 'ingest')), []);
  // A failing source leaves nothing either.
  const failing = new Readable({
    read() {
      this.push('partial');
      this.destroy(new Error('connection reset'));
    },
  });
  await assert.rejects(cs.ingest(failing), /connection reset/);
  assert.deepEqual(blobNames(root), []);
  assert.deepEqual(readdirSync(join(root, 'ingest')), []);
});

test('content store: concurrent ingests of the same blob', async () => {
  const root = tmp();
  const cs = await ContentStore.open(root);
  const data = Buffer.alloc(1 << 20, 7);
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      cs.ingest(Readable.from([data.subarray(0, i * 1000), data.subarray(i * 1000)]), {
        digest: i % 2 ? sha256(data) : undefined,
      }),
    ),
  );
  for (const r of results) assert.deepEqual(r, { digest: sha256(data), size: data.length });
  assert.deepEqual(blobNames(root), [sha256(data).slice(7)]);
  assert.deepEqual(await cs.read(sha256(data)), data);
  // Ingesting a known blob verifies the source and leaves the blob alone.
  await assert.rejects(cs.ingest('x', { digest: sha256(data) }), /digest mismatch/);
  assert.ok(await cs.exists(sha256(data)));
});

test('content store: interrupted ingests are discarded on open', async () => {
  const root = tmp();
  await ContentStore.open(root);
  mkdirSync(join(root, 'ingest'), { recursive: true });
  writeFileSync(join(root, 'ingest', 'deadbeef'), 'half a blob');
  const cs = await ContentStore.open(root);
  assert.deepEqual(readdirSync(join(root, 'ingest')), []);
  assert.deepEqual(await cs.list(), []);
});
