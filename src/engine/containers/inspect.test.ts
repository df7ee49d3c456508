import assert from 'node:assert/strict';
import { test } from 'node:test';
import { humanDuration, summary } from './inspect.ts';
import { runningRecord } from './testutil.ts';

test('humanDuration words a Status as go-units does: seconds and minutes cut down, hours rounded', () => {
  const s = 1000;
  const m = 60 * s;
  const h = 60 * m;
  const cases: [number, string][] = [
    [999, 'Less than a second'],
    [1999, '1 second'],
    [59.9 * s, '59 seconds'],
    [60 * s, 'About a minute'],
    [119 * s, 'About a minute'],
    [34.9 * m, '34 minutes'],
    [59.9 * m, '59 minutes'],
    [60 * m, 'About an hour'],
    [89 * m, 'About an hour'],
    [90 * m, '2 hours'],
    [47.4 * h, '47 hours'],
    [47.5 * h, '2 days'],
    [13 * 24 * h, '13 days'],
    [14 * 24 * h, '2 weeks'],
    [60 * 24 * h, '2 months'],
    [730 * 24 * h, '2 years'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms} ms`);
});

test('summary lists the command and network mode as dockerd does', () => {
  const rec = runningRecord('0'.repeat(64), {
    Path: '/bin/sh',
    Args: ['-c', 'echo "a b"', "it's", '', 'x"y'],
    HostConfig: { NetworkMode: 'default' },
  });
  const s = summary(rec, 'busybox');
  // only an argument with a space is quoted, as it is
  assert.equal(s.Command, `/bin/sh -c 'echo "a b"' it's  x"y`);
  assert.deepEqual(s.HostConfig, { NetworkMode: 'default' });
  assert.equal(summary({ ...rec, Path: 'sleep', Args: [] }, 'busybox').Command, 'sleep');
});
