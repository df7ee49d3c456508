import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ContentStore } from '../image/content-store.ts';
import type { Digest } from '../image/digest.ts';
import { Spool } from './spool.ts';

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;

async function* chunked(data: Buffer, size: number, pause?: () => Promise<void>) {
  for (let o = 0; o < data.length; o += size) {
    if (pause) await pause();
    yield data.subarray(o, o + size);
  }
}

async function collect(it: AsyncIterable<Buffer>, slow = false): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of it) {
    out.push(c);
    if (slow) await new Promise((r) => setTimeout(r, 1));
  }
  return Buffer.concat(out);
}

async function withStore(f: (store: ContentStore) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-spool-'));
  try {
    await f(await ContentStore.open(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('spool: a reader keeping up, one falling behind the memory window, one starting after the end', async () => {
  await withStore(async (store) => {
    const data = randomBytes(40 << 20); // more than the 16 MiB kept in memory
    const digest = digestOf(data);
    // keeping up: reads as it arrives
    const a = new Spool(store.tempPath());
    const [, gotA] = await Promise.all([
      a.fill(store, chunked(data, 65536), { digest, size: data.length }),
      collect(a.read(store.path(digest))),
    ]);
    assert.ok(gotA.equals(data));
    assert.ok(readFileSync(store.path(digest)).equals(data));
    await store.delete(digest);
    // falling behind: the start of the data has left memory and is read from the file
    const b = new Spool(store.tempPath());
    const reader = b.read(store.path(digest));
    const firstRead = reader.next();
    const filled = b.fill(store, chunked(data, 65536), { digest, size: data.length });
    const first = await firstRead;
    await filled; // all 40 MiB arrived before the reader asked for more
    const rest = await collect({ [Symbol.asyncIterator]: () => reader }, true);
    const gotB = Buffer.concat([first.value as Buffer, rest]);
    assert.ok(gotB.equals(data));
    // after the end: from the committed blob
    const gotC = await collect(b.read(store.path(digest)));
    assert.ok(gotC.equals(data));
  });
});

test('spool: bytes that do not match are refused, the reader fails, nothing is stored', async () => {
  await withStore(async (store) => {
    const data = randomBytes(3 << 20);
    const wrong = digestOf(Buffer.from('something else'));
    const s = new Spool(store.tempPath());
    const read = collect(s.read(store.path(wrong)));
    await assert.rejects(
      s.fill(store, chunked(data, 65536), { digest: wrong, size: data.length }),
      /digest mismatch/,
    );
    await assert.rejects(read, /digest mismatch/);
    assert.equal(existsSync(s.path), false);
    assert.equal(await store.exists(wrong), false);
    const short = new Spool(store.tempPath());
    await assert.rejects(
      short.fill(store, chunked(data, 65536), { digest: digestOf(data), size: data.length + 1 }),
      /size mismatch/,
    );
    await assert.rejects(
      new Spool(store.tempPath()).fill(store, chunked(data, 65536), { digest: digestOf(data), size: 10 }),
      /got more/,
    );
  });
});
