import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { endpointsFor, isInsecure } from './hosts.ts';

test('loopback registries are insecure by default; insecure-registries by host, host:port or CIDR', () => {
  assert.equal(isInsecure('127.0.0.1:5000', []), true);
  assert.equal(isInsecure('127.3.4.5', []), true);
  assert.equal(isInsecure('localhost:5000', []), true);
  assert.equal(isInsecure('[::1]:5000', []), true);
  assert.equal(isInsecure('registry.example:5000', []), false);
  assert.equal(isInsecure('registry.example:5000', ['registry.example:5000']), true);
  assert.equal(isInsecure('registry.example:5000', ['registry.example']), true);
  assert.equal(isInsecure('10.1.2.3:5000', ['10.0.0.0/8']), true);
  assert.equal(isInsecure('11.1.2.3:5000', ['10.0.0.0/8']), false);
  assert.equal(isInsecure('127.0.0.1:5000', [], false), false);
});

test('endpoints: mirrors then Docker Hub; HTTPS then HTTP for insecure ones; CAs from certs.d', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certs-'));
  try {
    mkdirSync(join(dir, 'reg.example:5000'));
    writeFileSync(join(dir, 'reg.example:5000', 'ca.crt'), 'PEM');
    const hub = endpointsFor('docker.io', {
      insecureRegistries: [],
      registryMirrors: ['http://127.0.0.1:5001/'],
      certsDir: dir,
    });
    assert.deepEqual(
      hub.map((e) => [e.url, e.mirror]),
      [
        ['http://127.0.0.1:5001', true],
        ['https://registry-1.docker.io', false],
      ],
    );
    const local = endpointsFor('127.0.0.1:5000', {
      insecureRegistries: [],
      registryMirrors: [],
      certsDir: dir,
    });
    assert.deepEqual(
      local.map((e) => [e.url, e.insecureTls]),
      [
        ['https://127.0.0.1:5000', true],
        ['http://127.0.0.1:5000', true],
      ],
    );
    const secure = endpointsFor('reg.example:5000', {
      insecureRegistries: [],
      registryMirrors: [],
      certsDir: dir,
    });
    assert.equal(secure.length, 1);
    assert.equal(secure[0].insecureTls, false);
    assert.equal(String(secure[0].ca), 'PEM');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
