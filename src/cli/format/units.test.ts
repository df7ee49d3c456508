import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bytesSize,
  containerStatus,
  ellipsis,
  goTimeFromRFC3339,
  goTimeString,
  humanDuration,
  humanSince,
  humanSize,
  humanSizeWithPrecision,
  truncateID,
} from './units.ts';

test('HumanSize, HumanSizeWithPrecision(3), BytesSize as go-units', () => {
  const cases: [number, string, string, string][] = [
    [0, '0B', '0B', '0B'],
    [999, '999B', '999B', '999B'],
    [1000, '1kB', '1kB', '1000B'],
    [1024, '1.024kB', '1.02kB', '1KiB'],
    [4260, '4.26kB', '4.26kB', '4.16KiB'],
    [1_234_567, '1.235MB', '1.23MB', '1.177MiB'],
    [999_999, '1000kB', '1e+03kB', '976.6KiB'],
    [187_000_000, '187MB', '187MB', '178.3MiB'],
    [1024 ** 3, '1.074GB', '1.07GB', '1GiB'],
    [1e18, '1EB', '1EB', '888.2PiB'],
  ];
  for (const [n, human, three, binary] of cases) {
    assert.equal(humanSize(n), human, `HumanSize(${n})`);
    assert.equal(humanSizeWithPrecision(n, 3), three, `HumanSizeWithPrecision(${n}, 3)`);
    assert.equal(bytesSize(n), binary, `BytesSize(${n})`);
  }
});

test('HumanDuration as go-units', () => {
  const s = 1000;
  const min = 60 * s;
  const hour = 60 * min;
  const day = 24 * hour;
  const week = 7 * day;
  const month = 30 * day;
  const year = 365 * day;
  const cases: [number, string][] = [
    [-5 * s, 'Less than a second'],
    [450, 'Less than a second'],
    [1 * s, '1 second'],
    [45 * s, '45 seconds'],
    [59 * s, '59 seconds'],
    [60 * s, 'About a minute'],
    [3 * min, '3 minutes'],
    [35 * min + 40 * s, '35 minutes'],
    [59 * min, '59 minutes'],
    [1 * hour, 'About an hour'],
    [1 * hour + 29 * min, 'About an hour'],
    [1 * hour + 31 * min, '2 hours'],
    [3 * hour + 31 * min, '4 hours'],
    [24 * hour, '24 hours'],
    [day + 12 * hour, '36 hours'],
    [2 * day, '2 days'],
    [13 * day + 5 * hour, '13 days'],
    [2 * week, '2 weeks'],
    [2 * week + 4 * day, '2 weeks'],
    [month, '4 weeks'],
    [month + 2 * week, '6 weeks'],
    [2 * month, '2 months'],
    [5 * month + 2 * week, '5 months'],
    [24 * month, '24 months'],
    [24 * month + 2 * week, '2 years'],
    [3 * year + 2 * month, '3 years'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
  assert.equal(humanSince(Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 22)), '3 weeks ago');
});

test('TruncateID', () => {
  assert.equal(truncateID('sha256:0123456789abcdef0123'), '0123456789ab');
  assert.equal(truncateID('0123456789abcdef'), '0123456789ab');
  assert.equal(truncateID('short'), 'short');
});

test('Ellipsis', () => {
  assert.equal(ellipsis("sh -c 'while true; do sleep 1; done'", 20), "sh -c 'while true; …");
  assert.equal(ellipsis('short', 20), 'short');
  assert.equal(ellipsis('日本語日本語', 10), '日本語日…');
  assert.equal(ellipsis('abc', 1), 'a');
  assert.equal(ellipsis('abc', 0), '');
  // below U+1100 every character is one cell; beyond, the widths are measured
  assert.equal(ellipsis('é'.repeat(25), 20), `${'é'.repeat(19)}…`);
  assert.equal(ellipsis('é'.repeat(20), 20), 'é'.repeat(20));
  assert.equal(ellipsis('🎉abc', 1), '🎉');
  assert.equal(ellipsis('ab🎉cd', 4), 'ab…');
});

test('container Status as the daemon writes it', () => {
  const now = Date.UTC(2024, 5, 1, 12, 0, 0);
  const ago = (ms: number) => new Date(now - ms).toISOString();
  const zero = '0001-01-01T00:00:00Z';
  assert.equal(containerStatus({ Running: true, StartedAt: ago(120_000) }, now), 'Up 2 minutes');
  assert.equal(
    containerStatus({ Running: true, Paused: true, StartedAt: ago(5000) }, now),
    'Up 5 seconds (Paused)',
  );
  assert.equal(
    containerStatus({ Running: true, StartedAt: ago(3_600_000), Health: { Status: 'healthy' } }, now),
    'Up About an hour (healthy)',
  );
  assert.equal(
    containerStatus({ Running: true, StartedAt: ago(500), Health: { Status: 'starting' } }, now),
    'Up Less than a second (health: starting)',
  );
  assert.equal(
    containerStatus({ Running: true, Restarting: true, ExitCode: 1, FinishedAt: ago(3000) }, now),
    'Restarting (1) 3 seconds ago',
  );
  assert.equal(
    containerStatus({ StartedAt: ago(60_000), FinishedAt: ago(3000), ExitCode: 0 }, now),
    'Exited (0) 3 seconds ago',
  );
  assert.equal(containerStatus({ StartedAt: zero, FinishedAt: zero }, now), 'Created');
  assert.equal(containerStatus({ Dead: true, StartedAt: ago(1000) }, now), 'Dead');
  assert.equal(containerStatus({ RemovalInProgress: true }, now), 'Removal In Progress');
});

test("Go's time.Time.String()", () => {
  assert.equal(goTimeString(Date.UTC(2024, 0, 15, 10, 23, 45)), '2024-01-15 10:23:45 +0000 UTC');
  assert.equal(
    goTimeString(Date.UTC(2024, 0, 15, 10, 23, 45, 120), 60, 'CET'),
    '2024-01-15 11:23:45.12 +0100 CET',
  );
  assert.equal(goTimeString(Date.UTC(2024, 0, 15, 1, 0, 0), -330, 'X'), '2024-01-14 19:30:00 -0530 X');
  assert.equal(goTimeFromRFC3339('2024-01-15T10:23:45.123456780Z'), '2024-01-15 10:23:45.12345678 +0000 UTC');
  assert.equal(goTimeFromRFC3339('2024-01-15T10:23:45+01:00'), '2024-01-15 10:23:45 +0100 +0100');
});
