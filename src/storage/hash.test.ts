import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ThreadpoolSha256 } from './hash.ts';

const expected = (chunks: Buffer[]) =>
  `sha256:${createHash('sha256').update(Buffer.concat(chunks)).digest('hex')}`;

test('threadpool sha256: the digest of nothing, of one byte, and of many chunks of every size', async () => {
  assert.equal(await new ThreadpoolSha256().digest(), expected([]));
  assert.equal(
    await (() => {
      const h = new ThreadpoolSha256();
      h.update(Buffer.from('a'));
      return h.digest();
    })(),
    expected([Buffer.from('a')]),
  );
  // small chunks (more than 1024 per MiB), big ones, empty ones, across many updates
  const chunks = [
    ...Array.from({ length: 3000 }, (_, i) => randomBytes(i % 7)),
    randomBytes(3 << 20),
    Buffer.alloc(0),
    ...Array.from({ length: 40 }, () => randomBytes(65536 + 3)),
  ];
  const h = new ThreadpoolSha256();
  for (const c of chunks) await h.update(c);
  assert.equal(await h.digest(), expected(chunks));
  assert.throws(() => h.update(Buffer.from('x')), /after digest/);
});

test('threadpool sha256: with an fd, every byte is written there in order, and `onDone` counts them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-hash-'));
  try {
    const fd = openSync(join(dir, 'out'), 'wx');
    let done = 0;
    const chunks = Array.from({ length: 50 }, (_, i) => randomBytes(1000 + i * 40000));
    const h = new ThreadpoolSha256({ fd, onDone: (n) => (done += n) });
    for (const c of chunks) await h.update(c);
    const digest = await h.digest();
    closeSync(fd);
    assert.equal(digest, expected(chunks));
    assert.equal(done, Buffer.concat(chunks).length);
    assert.ok(readFileSync(join(dir, 'out')).equals(Buffer.concat(chunks)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('threadpool sha256: a failed write fails the digest (and later updates), naming the errno', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-hash-'));
  try {
    const fd = openSync(join(dir, 'ro'), 'wx+');
    const ro = openSync(join(dir, 'ro'), 'r');
    closeSync(fd);
    const h = new ThreadpoolSha256({ fd: ro });
    h.update(randomBytes(2 << 20));
    await h.idle();
    closeSync(ro);
    assert.throws(() => h.update(Buffer.from('x')), { code: 'EBADF', syscall: 'write' });
    await assert.rejects(h.digest(), { code: 'EBADF' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
