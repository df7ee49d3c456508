import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import { demux, encodeFrame, FrameParser, STDERR, STDOUT, SYSTEMERR } from './stdcopy.ts';

test('frames cut anywhere are put back together', () => {
  const data = Buffer.concat([
    encodeFrame(STDOUT, 'hello '),
    encodeFrame(STDERR, 'oops\n'),
    encodeFrame(STDOUT, ''),
    encodeFrame(STDOUT, 'world\n'),
  ]);
  for (let cut = 1; cut < data.length; cut++) {
    const parser = new FrameParser();
    const frames = [...parser.push(data.subarray(0, cut)), ...parser.push(data.subarray(cut))];
    assert.deepEqual(
      frames.map((f) => [f.stream, f.payload.toString()]),
      [
        [1, 'hello '],
        [2, 'oops\n'],
        [1, ''],
        [1, 'world\n'],
      ],
    );
    assert.equal(parser.pending, 0);
  }
});

test('one byte at a time', () => {
  const data = encodeFrame(STDERR, Buffer.alloc(70000, 7));
  const parser = new FrameParser();
  const frames = [];
  for (const byte of data) frames.push(...parser.push(Buffer.from([byte])));
  assert.equal(frames.length, 1);
  assert.equal(frames[0].payload.length, 70000);
});

test('demux writes stdout and stderr to their streams', async () => {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: '', err: '' };
  out.on('data', (d) => (chunks.out += d));
  err.on('data', (d) => (chunks.err += d));
  await demux(
    Readable.from([
      Buffer.concat([encodeFrame(STDOUT, 'a'), encodeFrame(STDERR, 'b')]),
      encodeFrame(STDOUT, 'c'),
    ]),
    out,
    err,
  );
  assert.deepEqual(chunks, { out: 'ac', err: 'b' });
});

test('demux drops streams given as null and fails on a daemon error frame', async () => {
  await demux(Readable.from([encodeFrame(STDERR, 'x')]), null, null);
  await assert.rejects(
    demux(Readable.from([encodeFrame(SYSTEMERR, 'boom')]), null, null),
    /error from daemon in stream: boom/,
  );
  await assert.rejects(
    demux(Readable.from([encodeFrame(9, 'x')]), null, null),
    /Unrecognized input header: 9/,
  );
});
