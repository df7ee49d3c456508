import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../../common/errors.ts';
import { parseSignal, SIGNALS, signalName } from './signal.ts';

test('parseSignal reads names with or without SIG, in any case, and numbers', () => {
  for (const s of ['SIGKILL', 'KILL', 'kill', 'sigkill', '9', ' 9 ', 9])
    assert.equal(parseSignal(s), 9, String(s));
  assert.equal(parseSignal('SIGTERM'), 15);
  assert.equal(parseSignal('hup'), 1);
  assert.equal(parseSignal('SIGCHLD'), 17);
  assert.equal(parseSignal('CLD'), 17);
  assert.equal(parseSignal('SIGIOT'), 6);
  assert.equal(parseSignal('SIGWINCH'), 28);
  assert.equal(parseSignal('RTMIN'), 34);
  assert.equal(parseSignal('SIGRTMIN+3'), 37);
  assert.equal(parseSignal('RTMAX-1'), 63);
  assert.equal(parseSignal('SIGRTMAX'), 64);
  assert.equal(parseSignal('64'), 64);
});

test('parseSignal refuses unknown names, 0 and numbers above 64 with "Invalid signal: X"', () => {
  for (const s of ['SIGFOO', 'foo', '', '0', '65', '-1', 'SIG', 'RTMIN+16', '1.5']) {
    assert.throws(
      () => parseSignal(s),
      (err: unknown) =>
        err instanceof BerthError && err.kind === 'InvalidArgument' && err.message === `Invalid signal: ${s}`,
      s,
    );
  }
});

test('signalName gives the first name of a number', () => {
  assert.equal(signalName(9), 'SIGKILL');
  assert.equal(signalName(6), 'SIGABRT');
  assert.equal(signalName(17), 'SIGCHLD');
  assert.equal(signalName(35), 'SIGRTMIN+1');
  assert.equal(signalName(50), 'SIGRTMAX-14');
  assert.equal(signalName(99), 'SIG99');
  assert.equal(SIGNALS.size, 35 + 1 + 15 + 14 + 1);
});
