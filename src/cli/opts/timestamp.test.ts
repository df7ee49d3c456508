import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getTimestamp } from './timestamp.ts';

const now = new Date('2024-03-01T12:00:00Z');

test('durations count back from now, in whole seconds', () => {
  assert.equal(getTimestamp('10m', now), String(Date.parse('2024-03-01T11:50:00Z') / 1000));
  assert.equal(getTimestamp('1h30m', now), String(Date.parse('2024-03-01T10:30:00Z') / 1000));
});

test('RFC 3339 times with a zone become seconds.nanoseconds', () => {
  assert.equal(getTimestamp('2013-01-02T13:23:37Z', now), '1357133017.000000000');
  assert.equal(getTimestamp('2013-01-02T13:23:37.5+01:00', now), '1357129417.500000000');
  assert.equal(getTimestamp('2013-01-02T13:23Z', now), '1357132980.000000000');
});

test('times without a zone are local', () => {
  const local = new Date(2013, 0, 2, 13, 23, 37);
  assert.equal(getTimestamp('2013-01-02T13:23:37', local), `${local.getTime() / 1000}.000000000`);
  const day = new Date(2013, 0, 2);
  assert.equal(getTimestamp('2013-01-02', day), `${day.getTime() / 1000}.000000000`);
});

test('Unix timestamps pass through; anything else is refused', () => {
  assert.equal(getTimestamp('1357133017', now), '1357133017');
  assert.equal(getTimestamp('1357133017.5', now), '1357133017.5');
  assert.equal(getTimestamp('0', now), '0');
  assert.throws(() => getTimestamp('yesterday', now), {
    message: 'failed to parse value as time or duration: "yesterday"',
  });
  assert.throws(() => getTimestamp('2013-13-45', now), /cannot parse/);
});
