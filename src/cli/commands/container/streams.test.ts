import assert from 'node:assert/strict';
import { Duplex, PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { HijackedConnection } from '../../../api/client/client.ts';
import { encodeFrame, STDERR, STDOUT } from '../../../api/client/stdcopy.ts';
import { EscapeProxy, parseDetachKeys, streamHijacked } from './streams.ts';

test('parseDetachKeys: moby/term ToBytes', () => {
  assert.deepEqual(parseDetachKeys('ctrl-p,ctrl-q'), [16, 17]);
  assert.deepEqual(parseDetachKeys('ctrl-a,x'), [1, 120]);
  assert.deepEqual(parseDetachKeys('ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_'), [0, 27, 28, 29, 30, 31]);
  assert.throws(() => parseDetachKeys('ctrl-1'), { message: "Unknown character: 'ctrl-1'" });
});

test('EscapeProxy holds back a possible sequence, releases it when it breaks off', () => {
  const p = new EscapeProxy([16, 17]);
  assert.deepEqual(p.feed(Buffer.from('ab')), { data: Buffer.from('ab'), detached: false });
  assert.deepEqual(p.feed(Buffer.from([16])), { data: Buffer.alloc(0), detached: false });
  assert.deepEqual(p.feed(Buffer.from('c')), { data: Buffer.from([16, 99]), detached: false });
  assert.deepEqual(p.feed(Buffer.from([16, 16])), { data: Buffer.from([16]), detached: false });
  assert.deepEqual(p.feed(Buffer.from([17])), { data: Buffer.alloc(0), detached: true });
  const q = new EscapeProxy([16, 17]);
  assert.deepEqual(q.feed(Buffer.from([120, 16, 17, 121])), { data: Buffer.from([120]), detached: true });
});

/** A socket whose far side the test plays: what the CLI writes, and a way to answer. */
function fakeConnection() {
  const written: Buffer[] = [];
  let ended = false;
  const socket = new Duplex({
    read() {},
    write(chunk, _enc, cb) {
      written.push(chunk);
      cb();
    },
    final(cb) {
      ended = true;
      cb();
    },
  });
  const conn = { socket, contentType: '', multiplexed: true } as unknown as HijackedConnection;
  return { conn, socket, written, ended: () => ended };
}

function sink() {
  const s = new PassThrough();
  let text = '';
  s.on('data', (d) => (text += d));
  return { stream: s, text: () => text };
}

test('stdin goes to the socket and is half-closed at its end; frames go to stdout and stderr', async () => {
  const { conn, socket, written, ended } = fakeConnection();
  const stdin = new PassThrough();
  const out = sink();
  const err = sink();
  const done = streamHijacked({ conn, tty: false, stdin, stdout: out.stream, stderr: err.stream });
  stdin.end('input\n');
  await new Promise((r) => setImmediate(r));
  assert.equal(Buffer.concat(written).toString(), 'input\n');
  assert.equal(ended(), true);
  socket.push(encodeFrame(STDOUT, 'out\n'));
  socket.push(encodeFrame(STDERR, 'err\n'));
  socket.push(null);
  assert.equal(await done, 'done');
  assert.equal(out.text(), 'out\n');
  assert.equal(err.text(), 'err\n');
});

test('with a tty the output is raw and the detach keys end the stream', async () => {
  const { conn, socket, written } = fakeConnection();
  const stdin = new PassThrough();
  const out = sink();
  const done = streamHijacked({ conn, tty: true, stdin, stdout: out.stream, detachKeys: 'ctrl-a,d' });
  socket.push(Buffer.from('\x1b[1mraw\r\n'));
  await new Promise((r) => setImmediate(r));
  stdin.write('ls\r');
  stdin.write(Buffer.from([1, 100]));
  assert.equal(await done, 'detached');
  assert.equal(Buffer.concat(written).toString(), 'ls\r');
  assert.equal(out.text(), '\x1b[1mraw\r\n');
});
