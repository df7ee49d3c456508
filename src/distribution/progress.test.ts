import assert from 'node:assert/strict';
import { test } from 'node:test';
import { humanSize, parsePlatform, progressBar, progressMessage, shortDigest } from './progress.ts';

test('sizes and bars as the docker CLI prints them', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(1_057_329), '1.057MB');
  assert.equal(humanSize(100_673_070), '100.7MB');
  assert.equal(humanSize(6_000_000), '6MB');
  // as dockerd 20.10 sent them (POST /images/create)
  assert.equal(progressBar(69_213, 6_002_144), `[>${' '.repeat(50)}]  69.21kB/6.002MB`);
  assert.equal(progressBar(0, 100), `[>${' '.repeat(50)}]       0B/100B`);
  assert.equal(progressBar(50, 100), `[${'='.repeat(25)}>${' '.repeat(25)}]      50B/100B`);
  assert.equal(progressBar(6_002_144, 6_002_144), `[${'='.repeat(50)}>]  6.002MB/6.002MB`);
  assert.equal(progressBar(1234, 0), ' 1.234kB');
  assert.deepEqual(progressMessage('Downloading', 'abc', 1, 2).progressDetail, { current: 1, total: 2 });
  assert.equal(shortDigest(`sha256:${'ab'.repeat(32)}`), 'abababababab');
});

test('--platform', () => {
  assert.deepEqual(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(parsePlatform('Linux/x86_64'), { os: 'linux', architecture: 'amd64' });
  // one part, as containerd's platforms.Parse (dockerd 20.10 pulls `--platform linux`)
  const host = { os: 'linux', architecture: 'amd64' };
  assert.deepEqual(parsePlatform('linux', host), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('aarch64', host), { os: 'linux', architecture: 'arm64' });
  assert.throws(() => parsePlatform('nosuch'), /"nosuch": unknown operating system or architecture/);
  assert.throws(() => parsePlatform('linux/'), /unknown operating system or architecture/);
});
