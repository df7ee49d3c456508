// The slab reader of blob GETs (blob-reader.ts) against small servers on 127.0.0.1 that write
// their responses byte for byte: Content-Length, chunked (odd sizes, extensions, trailers) and
// close-delimited bodies, a slow consumer, a cut mid-body resumed with Range through blobChunks,
// a redirect followed, and a blob whose bytes do not match its digest refused by the spool.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ContentStore } from '../image/content-store.ts';
import type { Digest } from '../image/digest.ts';
import { parseReference } from '../image/reference.ts';
import { release, slabStats } from '../storage/slabs.ts';
import { slabGet } from './blob-reader.ts';
import { RegistryClient } from './client.ts';
import { blobChunks } from './pull.ts';
import { Spool } from './spool.ts';

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;

interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
}

/** A server that answers each request with `answer` (raw writes on the socket). */
async function serve(
  answer: (req: Req, sock: Socket) => void,
): Promise<{ server: Server; port: number; seen: Req[] }> {
  const seen: Req[] = [];
  const server = createServer((sock) => {
    let head = '';
    sock.on('data', (d) => {
      if (head === '' && d[0] === 0x16) return void sock.destroy(); // (a client trying TLS first)
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [line, ...fields] = head.slice(0, end).split('\r\n');
      head = head.slice(end + 4);
      const [method, path] = line.split(' ');
      const headers: Record<string, string> = {};
      for (const f of fields)
        headers[f.slice(0, f.indexOf(':')).toLowerCase()] = f.slice(f.indexOf(':') + 1).trim();
      const req = { method, path, headers };
      seen.push(req);
      answer(req, sock);
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

const close = (s: Server) => new Promise((r) => s.close(r));

/** Reads a response body to the end, releasing each view once copied (as a consumer does). */
async function drain(body: AsyncIterable<Buffer>, slow = false): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of body) {
    out.push(Buffer.from(c));
    release(c);
    if (slow) await new Promise((r) => setTimeout(r, 2));
  }
  return Buffer.concat(out);
}

/** `data` in chunked transfer coding: chunks of the given sizes (cycled), with an extension and a trailer. */
function chunkedBody(data: Buffer, sizes: number[]): Buffer {
  const parts: Buffer[] = [];
  for (let o = 0, k = 0; o < data.length; k++) {
    const n = Math.min(sizes[k % sizes.length], data.length - o);
    parts.push(
      Buffer.from(`${n.toString(16)}${k % 3 === 1 ? ';ext=1' : ''}\r\n`),
      data.subarray(o, o + n),
      Buffer.from('\r\n'),
    );
    o += n;
  }
  parts.push(Buffer.from('0\r\nX-Trailer: yes\r\n\r\n'));
  return Buffer.concat(parts);
}

/** Writes `bytes` in pieces of `piece` bytes, with a pause between some, so reads split anywhere. */
async function dribble(sock: Socket, bytes: Buffer, piece: number): Promise<void> {
  for (let o = 0; o < bytes.length; o += piece) {
    if (!sock.write(bytes.subarray(o, o + piece))) await new Promise((r) => sock.once('drain', r));
    if ((o / piece) % 7 === 3) await new Promise((r) => setImmediate(r));
  }
}

test('blob reader: Content-Length, chunked and close-delimited bodies, split anywhere; slabs reused', async () => {
  const data = randomBytes(3 << 20);
  const { server, port, seen } = await serve((req, sock) => {
    if (req.path === '/length') {
      void dribble(
        sock,
        Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${data.length}\r\n\r\n`), data]),
        100_003,
      );
    } else if (req.path === '/chunked') {
      const head =
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nX-A: 2\r\n\r\n';
      void dribble(
        sock,
        Buffer.concat([Buffer.from(head), chunkedBody(data, [1, 70_000, 5, 1 << 20, 4093])]),
        7919,
      );
    } else if (req.path === '/close') {
      void dribble(sock, Buffer.concat([Buffer.from('HTTP/1.0 200 OK\r\n\r\n'), data]), 65536).then(() =>
        sock.end(),
      );
    } else sock.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
  });
  try {
    const made = slabStats.made;
    for (const path of ['/length', '/chunked', '/close', '/length']) {
      const res = await slabGet(new URL(`http://127.0.0.1:${port}${path}`), { Authorization: 'Bearer t' });
      assert.equal(res.status, 200);
      assert.ok((await drain(res.body, path === '/close')).equals(data), path);
      if (path === '/chunked') assert.equal(res.headers['x-a'], '1, 2');
    }
    const missing = await slabGet(new URL(`http://127.0.0.1:${port}/nothing`), {});
    assert.equal(missing.status, 404);
    assert.equal((await drain(missing.body)).length, 0);
    assert.equal(seen[0].headers.authorization, 'Bearer t');
    assert.equal(seen[0].method, 'GET');
    // 12 MiB read through slabs that were released: a handful made, the rest reused
    assert.ok(slabStats.made - made <= 6, `${slabStats.made - made} slabs made`);
  } finally {
    await close(server);
  }
});

test('blob reader: a body cut short fails; a malformed chunked body fails', async () => {
  const { server, port } = await serve((req, sock) => {
    if (req.path === '/cut') {
      sock.write(`HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n`);
      sock.end(randomBytes(300_000));
    } else sock.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
  });
  try {
    const cut = await slabGet(new URL(`http://127.0.0.1:${port}/cut`), {});
    await assert.rejects(drain(cut.body), /unexpected EOF: the connection closed after 300000 bytes/);
    const bad = await slabGet(new URL(`http://127.0.0.1:${port}/bad`), {});
    await assert.rejects(drain(bad.body), /malformed chunked body/);
    await assert.rejects(slabGet(new URL(`http://127.0.0.1:${port}/x`), {}, AbortSignal.abort()));
  } finally {
    await close(server);
  }
});

test('blob reader: a response that ends near the end of its slab takes no slab after it', async () => {
  // head and body end ~60 KiB before the slab's end, where the socket asks for its next buffer
  // once more: a finished reader must not take (and strand) a fresh slab then
  const data = randomBytes(1_000_000 - 40);
  const response = Buffer.concat([
    Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${data.length}\r\n\r\n`),
    data,
  ]);
  const { server, port } = await serve((_req, sock) => void sock.end(response));
  try {
    const made = slabStats.made;
    for (let i = 0; i < 12; i++) {
      const res = await slabGet(new URL(`http://127.0.0.1:${port}/`), {});
      assert.ok((await drain(res.body)).equals(data));
    }
    // one slab each time is reused (two when a read happened to end in the last 64 KiB)
    assert.ok(slabStats.made - made <= 3, `${slabStats.made - made} slabs made for 12 responses`);
  } finally {
    await close(server);
  }
});

/** A registry of one blob over plain HTTP, answering /v2/ and Range requests. */
async function blobServer(blob: Buffer, opts: { cutFirst?: number; redirect?: number; send?: Buffer }) {
  let cuts = 0;
  const send = opts.send ?? blob;
  return serve((req, sock) => {
    if (req.path === '/v2/') return void sock.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}');
    if (opts.redirect && req.path.startsWith('/v2/')) {
      return void sock.end(
        `HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:${opts.redirect}/storage/blob?x=1\r\nContent-Length: 0\r\n\r\n`,
      );
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const from = range ? Number(range[1]) : 0;
    const body = send.subarray(from);
    const head = range
      ? `HTTP/1.1 206 Partial Content\r\nContent-Range: bytes ${from}-${send.length - 1}/${send.length}\r\nContent-Length: ${body.length}\r\n\r\n`
      : `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`;
    if (opts.cutFirst && cuts++ === 0) {
      sock.write(head);
      sock.end(body.subarray(0, opts.cutFirst));
      return;
    }
    sock.write(head);
    void dribble(sock, body, 1 << 20);
  });
}

async function withStore(f: (store: ContentStore) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-blob-reader-'));
  try {
    await f(await ContentStore.open(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Pulls the blob of `port`'s registry into `store` through blobChunks and a Spool, reading it as it arrives. */
async function pullBlob(
  store: ContentStore,
  port: number,
  blob: Buffer,
  digest = digestOf(blob),
): Promise<Buffer> {
  const client = new RegistryClient(`127.0.0.1:${port}`, { insecureRegistries: [], registryMirrors: [] });
  const ref = parseReference(`127.0.0.1:${port}/x/y:1`);
  const spool = new Spool(store.tempPath());
  try {
    const chunks = blobChunks(client, ref, { mediaType: 'x', digest, size: blob.length }, {});
    const fill = spool.fill(store, chunks, { digest, size: blob.length });
    const read = drain(spool.read(store.path(digest)), true);
    await Promise.allSettled([fill, read]);
    await fill;
    return await read;
  } finally {
    client.close();
  }
}

test('blob reader through blobChunks: a cut mid-body resumes with Range; a redirect is followed', async () => {
  const blob = randomBytes(5 << 20);
  const cut = await blobServer(blob, { cutFirst: 1_500_000 });
  const storage = await blobServer(blob, {});
  const redirecting = await blobServer(blob, { redirect: storage.port });
  try {
    await withStore(async (store) => {
      assert.ok((await pullBlob(store, cut.port, blob)).equals(blob));
      const ranges = cut.seen.map((r) => r.headers.range).filter(Boolean);
      assert.equal(ranges.length, 1);
      assert.match(ranges[0], /^bytes=(\d+)-$/);
      assert.ok(Number(/\d+/.exec(ranges[0])![0]) >= 1_000_000, ranges[0]);
      await store.delete(digestOf(blob));

      assert.ok((await pullBlob(store, redirecting.port, blob)).equals(blob));
      assert.deepEqual(
        storage.seen.map((r) => r.path),
        ['/storage/blob?x=1'],
      );
      assert.ok(await store.exists(digestOf(blob)));
    });
  } finally {
    await Promise.all([close(cut.server), close(storage.server), close(redirecting.server)]);
  }
});

test('blob reader through blobChunks: bytes that do not match the digest are refused, nothing stored', async () => {
  const blob = randomBytes(3 << 20);
  const bad = Buffer.from(blob);
  bad[bad.length >> 1] ^= 0xff;
  const reg = await blobServer(blob, { send: bad });
  try {
    await withStore(async (store) => {
      await assert.rejects(pullBlob(store, reg.port, blob), /digest mismatch/);
      assert.equal(await store.exists(digestOf(blob)), false);
      const dir = store.tempPath().replace(/\/[^/]*$/, '');
      assert.deepEqual(existsSync(dir) ? readdirSync(dir) : [], []);
    });
  } finally {
    await close(reg.server);
  }
});
