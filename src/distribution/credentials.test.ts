import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { authKey, eraseCredentials, getCredentials, serverKey, storeCredentials } from './credentials.ts';

test('config.json keys: Docker Hub by its legacy URL, other registries by host[:port]', () => {
  assert.equal(authKey('docker.io'), 'https://index.docker.io/v1/');
  assert.equal(authKey('127.0.0.1:5000'), '127.0.0.1:5000');
  assert.equal(serverKey(undefined), 'https://index.docker.io/v1/');
  assert.equal(serverKey('https://reg.example:5000/v2/'), 'reg.example:5000');
});

test('auths in config.json: store, get, erase; other keys of the file are kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'creds-'));
  try {
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify({ psFormat: 'table {{.ID}}' }));
    assert.equal(getCredentials('reg:5000', path), undefined);
    storeCredentials('reg:5000', { username: 'u', password: 'p:w' }, path);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(file.psFormat, 'table {{.ID}}');
    assert.equal(file.auths['reg:5000'].auth, Buffer.from('u:p:w').toString('base64'));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(getCredentials('reg:5000', path), {
      serveraddress: 'reg:5000',
      username: 'u',
      password: 'p:w',
    });
    assert.equal(eraseCredentials('reg:5000', path), true);
    assert.equal(eraseCredentials('reg:5000', path), false);
    assert.equal(getCredentials('reg:5000', path), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('credHelpers: the docker-credential-<name> protocol', () => {
  const dir = mkdtempSync(join(tmpdir(), 'creds-'));
  const oldPath = process.env.PATH;
  try {
    const helper = join(dir, 'docker-credential-unit');
    writeFileSync(
      helper,
      `#!/bin/sh\ncase "$1" in\n  get) cat >/dev/null; echo '{"ServerURL":"reg:5000","Username":"<token>","Secret":"tok"}' ;;\n  *) cat > ${dir}/$1 ;;\nesac\n`,
    );
    chmodSync(helper, 0o755);
    process.env.PATH = `${dir}:${oldPath}`;
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify({ credHelpers: { 'reg:5000': 'unit' } }));
    assert.deepEqual(getCredentials('reg:5000', path), { identitytoken: 'tok', serveraddress: 'reg:5000' });
    storeCredentials('reg:5000', { username: 'u', password: 'p' }, path);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'store'), 'utf8')), {
      ServerURL: 'reg:5000',
      Username: 'u',
      Secret: 'p',
    });
    // other registries are not the helper's
    assert.equal(getCredentials('other:5000', path), undefined);
  } finally {
    process.env.PATH = oldPath;
    rmSync(dir, { recursive: true, force: true });
  }
});
