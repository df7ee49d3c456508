import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ApiClient, DaemonError } from './client.ts';
import { demux, encodeFrame, STDERR, STDOUT } from './stdcopy.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-client-test-'));
const socket = join(dir, 'api.sock');
let server: Server;
const seen: { url?: string; headers?: IncomingMessage['headers']; body?: string } = {};

before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/_ping') {
      res.writeHead(200, { 'Api-Version': '1.45' });
      res.end('OK');
    } else {
      res.writeHead(200);
      res.end();
    }
  });
  // An echo over the upgraded socket: each stdin chunk comes back as a stdout frame, and the
  // end of stdin is answered with a stderr frame before the daemon closes its side.
  server.on('upgrade', (req: IncomingMessage, conn: Socket, head: Buffer) => {
    if (req.url?.includes('/containers/missing/')) {
      const body = '{"message":"No such container: missing"}';
      conn.end(
        `HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      return;
    }
    if (req.url?.includes('/exec/')) {
      conn.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    seen.url = req.url;
    seen.headers = req.headers;
    let body = '';
    conn.write(
      'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
    );
    conn.write(encodeFrame(STDOUT, 'ready\n'));
    if (head.length) conn.unshift(head);
    conn.on('data', (d: Buffer) => {
      body += d;
      conn.write(encodeFrame(STDOUT, d));
    });
    conn.on('end', () => {
      seen.body = body;
      conn.end(encodeFrame(STDERR, 'bye\n'));
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});

after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('hijack: 101, then stdin one way and framed output the other, half-close', async () => {
  const client = new ApiClient(`unix://${socket}`);
  const conn = await client.hijack('POST', '/containers/abc/attach', {
    query: { stream: 1, stdin: 1, stdout: 1, stderr: 1 },
  });
  assert.equal(conn.multiplexed, true);
  assert.equal(seen.url, '/v1.45/containers/abc/attach?stream=1&stdin=1&stdout=1&stderr=1');
  assert.equal(seen.headers?.upgrade, 'tcp');
  assert.equal(seen.headers?.connection, 'Upgrade');
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) =>
    ({ write: (d: Buffer) => into.push(String(d)) === 0 || true }) as unknown as NodeJS.WritableStream;
  const done = demux(conn.socket, sink(out) as never, sink(err) as never);
  conn.socket.write('hello\n');
  conn.socket.end();
  await done;
  assert.equal(out.join(''), 'ready\nhello\n');
  assert.equal(err.join(''), 'bye\n');
  assert.equal(seen.body, 'hello\n');
});

test('hijack: an error status is a DaemonError with the message', async () => {
  const client = new ApiClient(`unix://${socket}`);
  await assert.rejects(client.hijack('POST', '/containers/missing/attach'), (err: unknown) => {
    assert.ok(err instanceof DaemonError);
    assert.equal(err.status, 404);
    assert.equal(err.message, 'No such container: missing');
    return true;
  });
});

test('hijack: a 200 instead of 101 is refused as docker refuses it', async () => {
  const client = new ApiClient(`unix://${socket}`);
  await assert.rejects(client.hijack('POST', '/exec/x/start', { body: { Detach: false, Tty: false } }), {
    message: 'unable to upgrade to tcp, received 200',
  });
});

test('the ping and the request after it share one connection', async () => {
  const own = join(dir, 'one.sock');
  let connections = 0;
  const pings: string[] = [];
  const one = createServer((req, res) => {
    if (req.url === '/_ping') pings.push(req.method ?? '');
    res.writeHead(200, { 'Api-Version': '1.45' });
    res.end(req.url === '/_ping' ? 'OK' : '[]');
  });
  one.on('connection', () => connections++);
  await new Promise<void>((resolve) => one.listen(own, resolve));
  try {
    const client = new ApiClient(`unix://${own}`);
    assert.equal(await client.negotiate(), '1.45');
    const res = await client.raw('GET', '/containers/json');
    res.resume();
    await new Promise((resolve) => res.once('end', resolve));
    assert.deepEqual(pings, ['GET']);
    assert.equal(connections, 1);
  } finally {
    one.closeAllConnections();
    one.close();
  }
});
