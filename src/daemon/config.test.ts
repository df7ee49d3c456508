import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from './config.ts';

test('registry settings from daemon.json and flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'daemon-json-'));
  try {
    const file = join(dir, 'daemon.json');
    writeFileSync(
      file,
      JSON.stringify({
        'insecure-registries': ['10.0.0.0/8'],
        'registry-mirrors': ['http://127.0.0.1:5001'],
        'max-concurrent-downloads': 5,
        'certs-dir': '/tmp/certs.d',
      }),
    );
    const cfg = loadConfig(['--config-file', file, '--max-concurrent-uploads', '2']);
    assert.deepEqual(cfg.insecureRegistries, ['10.0.0.0/8']);
    assert.deepEqual(cfg.registryMirrors, ['http://127.0.0.1:5001']);
    assert.equal(cfg.maxConcurrentDownloads, 5);
    assert.equal(cfg.maxConcurrentUploads, 2);
    assert.equal(cfg.certsDir, '/tmp/certs.d');
    writeFileSync(file, JSON.stringify({ 'max-concurrent-downloads': 0 }));
    assert.throws(
      () => loadConfig(['--config-file', file]),
      /"max-concurrent-downloads" must be a positive integer/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('relative data and exec roots are made absolute from the working directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'daemon-json-'));
  try {
    writeFileSync(join(dir, 'daemon.json'), '{}');
    const cfg = loadConfig([
      '--config-file',
      join(dir, 'daemon.json'),
      '--data-root',
      'd/data',
      '--exec-root',
      './e',
    ]);
    assert.equal(cfg.dataRoot, join(process.cwd(), 'd/data'));
    assert.equal(cfg.execRoot, join(process.cwd(), 'e'));
    assert.equal(cfg.pidfile, join(process.cwd(), 'e', 'berthd.pid'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('storage-driver: overlay2 (Docker’s name) and overlay are the overlay driver; others refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'daemon-json-'));
  try {
    const file = join(dir, 'daemon.json');
    writeFileSync(file, '{"storage-driver": "overlay2"}');
    assert.equal(loadConfig(['--config-file', file]).storageDriver, 'overlay');
    writeFileSync(file, '{}');
    assert.equal(loadConfig(['--config-file', file, '--storage-driver', 'overlay']).storageDriver, 'overlay');
    assert.equal(loadConfig(['--config-file', file, '--storage-driver', 'vfs']).storageDriver, 'vfs');
    assert.throws(
      () => loadConfig(['--config-file', file, '--storage-driver', 'btrfs']),
      /unknown storage driver "btrfs" \(want overlay2 or vfs\)/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
