import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { Router } from './router.ts';
import { upgradeHandler } from './server.ts';

/** An HTTP server whose only route, an upgraded POST /echo, answers with its body and head. */
async function upgradeServer() {
  const router = new Router();
  router.add('POST', '/echo', ({ upgrade }) => {
    upgrade!.socket.end(`body=${upgrade!.body} head=${upgrade!.head}`);
  });
  const server = createServer();
  server.on('upgrade', upgradeHandler(router));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { server, port };
}

const request = (length: number) =>
  `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`;

async function answer(sock: Socket): Promise<string> {
  let got = '';
  sock.on('data', (c: Buffer) => (got += c));
  await once(sock, 'close');
  return got;
}

test('an upgraded request: its body, however late it comes, and the stream bytes after it', async (t) => {
  const { server, port } = await upgradeServer();
  t.after(() => server.close());
  const sock = connect(port, '127.0.0.1');
  await once(sock, 'connect');
  sock.write(request(6));
  await new Promise((r) => setTimeout(r, 50));
  sock.write('{"a":1}rest');
  assert.equal(await answer(sock), 'body={"a":1 head=}rest');
});

test('an upgraded request whose client half-closes mid-body is closed, not left open', {
  timeout: 10_000,
}, async (t) => {
  const { server, port } = await upgradeServer();
  t.after(() => server.close());
  const sock = connect(port, '127.0.0.1');
  await once(sock, 'connect');
  sock.write(request(100));
  sock.end('{"short"');
  assert.equal(await answer(sock), '');
});
