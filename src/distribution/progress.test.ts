import assert from 'node:assert/strict';
import { test } from 'node:test';
import { humanSize, parsePlatform, progressBar, progressMessage, shortDigest } from './progress.ts';

test('sizes and bars as the docker CLI prints them', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(1_057_329), '1.06MB');
  assert.equal(humanSize(100_673_070), '101MB');
  assert.equal(progressBar(0, 100), `[>${' '.repeat(49)}]       0B/100B`);
  assert.equal(progressBar(50, 100), `[${'='.repeat(25)}>${' '.repeat(24)}]      50B/100B`);
  assert.equal(progressBar(100, 100), `[${'='.repeat(50)}]     100B/100B`);
  assert.deepEqual(progressMessage('Downloading', 'abc', 1, 2).progressDetail, { current: 1, total: 2 });
  assert.equal(shortDigest(`sha256:${'ab'.repeat(32)}`), 'abababababab');
});

test('--platform', () => {
  assert.deepEqual(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(parsePlatform('Linux/x86_64'), { os: 'linux', architecture: 'amd64' });
  assert.throws(() => parsePlatform('linux'), /unknown operating system or architecture/);
});
