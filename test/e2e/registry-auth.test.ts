// Registries that want credentials or speak TLS, each a real docker-registry on 127.0.0.1:
// htpasswd basic auth (berth login/logout, config.json, a credential helper, the docker CLI's
// login and push through berthd), bearer tokens from a token server of the test's own, and TLS
// with a CA the test makes (certs.d through berthd, and verification in the registry client).

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RegistryClient } from '../../src/distribution/client.ts';
import { cleanup, type Daemon, docker, hasDocker, importBusybox, startDaemon } from './daemon-helpers.ts';
import {
  berthAsync,
  hasRegistry,
  makeCa,
  type Registry,
  startRegistry,
  startTokenServer,
  type TokenServer,
} from './registry-helpers.ts';

const skip = hasRegistry ? false : 'docker-registry missing (scripts/setup.sh)';

describe('registry with htpasswd basic auth', { skip }, () => {
  let reg: Registry;
  let d: Daemon;
  let env: Record<string, string>;
  before(async () => {
    reg = await startRegistry({ htpasswd: { user: 'alice', password: 's3cret' } });
    d = await startDaemon();
    importBusybox(d);
    env = { DOCKER_CONFIG: join(d.dir, 'docker-config') };
  });
  after(async () => {
    await cleanup(d);
    await reg.stop();
  });

  test('push needs a login; berth login stores it in config.json; pull and logout', async () => {
    const name = `${reg.host}/basic/bb:1`;
    assert.equal((await berthAsync(d.host, ['tag', 'busybox', name])).status, 0);
    const anon = await berthAsync(d.host, ['push', name], env);
    assert.equal(anon.status, 1);
    assert.match(anon.stderr, /unauthorized: authentication required/);
    const bad = await berthAsync(d.host, ['login', '-u', 'alice', '-p', 'wrong', reg.host], env);
    assert.equal(bad.status, 1);
    assert.match(
      bad.stderr,
      /Error response from daemon: login attempt to http:\/\/127\.0\.0\.1:\d+\/v2\/ failed with status: 401 Unauthorized/,
    );
    assert.equal(existsSync(join(env.DOCKER_CONFIG, 'config.json')), false);
    const ok = await berthAsync(d.host, ['login', '-u', 'alice', '-p', 's3cret', reg.host], env);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, 'Login Succeeded\n');
    const cfg = JSON.parse(readFileSync(join(env.DOCKER_CONFIG, 'config.json'), 'utf8'));
    assert.equal(cfg.auths[reg.host].auth, Buffer.from('alice:s3cret').toString('base64'));
    const pushed = await berthAsync(d.host, ['push', name], env);
    assert.equal(pushed.status, 0, pushed.stderr);
    assert.equal((await berthAsync(d.host, ['rmi', name])).status, 0);
    const pulled = await berthAsync(d.host, ['pull', name], env);
    assert.equal(pulled.status, 0, pulled.stderr);
    const out = await berthAsync(d.host, ['logout', reg.host], env);
    assert.equal(out.stdout, `Removing login credentials for ${reg.host}\n`);
    const denied = await berthAsync(d.host, ['pull', name], env);
    assert.equal(denied.status, 1);
    assert.match(
      denied.stderr,
      new RegExp(`pull access denied for ${reg.host.replace(/\./g, '\\.')}/basic/bb`),
    );
  });

  test('a credential helper (credsStore) stores and gives the credentials', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-helper-'));
    try {
      const store = join(dir, 'store.json');
      const helper = join(dir, 'docker-credential-berthtest');
      writeFileSync(
        helper,
        `#!/bin/sh\nset -e\nS=${store}\ncase "$1" in\n  store) cat > "$S" ;;\n  get) cat > /dev/null; if [ -f "$S" ]; then cat "$S"; else echo "credentials not found in native keychain"; exit 1; fi ;;\n  erase) rm -f "$S" ;;\nesac\n`,
      );
      chmodSync(helper, 0o755);
      const cfgDir = join(dir, 'config');
      mkdirSync(cfgDir);
      writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({ credsStore: 'berthtest' }));
      const henv = { DOCKER_CONFIG: cfgDir, PATH: `${dir}:${process.env.PATH}` };
      const ok = await berthAsync(d.host, ['login', '-u', 'alice', '--password-stdin', reg.host], henv);
      // --password-stdin with no stdin: an empty password is refused before anything is stored
      assert.notEqual(ok.status, 0);
      const login = await berthAsync(d.host, ['login', '-u', 'alice', '-p', 's3cret', reg.host], henv);
      assert.equal(login.status, 0, login.stderr);
      const saved = JSON.parse(readFileSync(store, 'utf8'));
      assert.deepEqual(saved, { ServerURL: reg.host, Username: 'alice', Secret: 's3cret' });
      const cfg = JSON.parse(readFileSync(join(cfgDir, 'config.json'), 'utf8'));
      assert.deepEqual(cfg.auths[reg.host], {});
      const name = `${reg.host}/helper/bb:1`;
      assert.equal((await berthAsync(d.host, ['tag', 'busybox', name])).status, 0);
      const pushed = await berthAsync(d.host, ['push', name], henv);
      assert.equal(pushed.status, 0, pushed.stderr);
      await berthAsync(d.host, ['logout', reg.host], henv);
      assert.equal(existsSync(store), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the docker CLI logs in (POST /auth) and pushes with X-Registry-Auth through berthd', {
    skip: !hasDocker && 'no docker CLI',
  }, () => {
    const login = docker(d, ['login', '-u', 'alice', '--password-stdin', reg.host], 's3cret\n');
    assert.equal(login.status, 0, login.stderr);
    assert.match(login.stdout, /Login Succeeded/);
    const bad = docker(d, ['login', '-u', 'alice', '--password-stdin', reg.host], 'nope\n');
    assert.notEqual(bad.status, 0);
    const name = `${reg.host}/dockercli/bb:1`;
    assert.equal(docker(d, ['tag', 'busybox', name]).status, 0);
    const pushed = docker(d, ['push', name]);
    assert.equal(pushed.status, 0, pushed.stderr);
    docker(d, ['rmi', name]);
    const pulled = docker(d, ['pull', name]);
    assert.equal(pulled.status, 0, pulled.stderr);
  });
});

describe('registry with bearer tokens', { skip }, () => {
  let reg: Registry;
  let tokens: TokenServer;
  let d: Daemon;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-token-'));
    const { cert, key } = makeCa(dir);
    tokens = await startTokenServer({
      keyFile: key,
      certFile: cert,
      issuer: 'berth-test',
      service: 'berth-registry',
      user: 'bob',
      password: 'hunter2',
    });
    reg = await startRegistry({
      token: { realm: tokens.url, service: 'berth-registry', issuer: 'berth-test', certFile: cert },
    });
    d = await startDaemon();
    importBusybox(d);
  });
  after(async () => {
    await cleanup(d);
    await reg.stop();
    await tokens.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('login, push and pull with tokens for the repository scope', async () => {
    const env = { DOCKER_CONFIG: join(d.dir, 'cfg') };
    const name = `${reg.host}/tok/bb:1`;
    assert.equal((await berthAsync(d.host, ['tag', 'busybox', name])).status, 0);
    const anon = await berthAsync(d.host, ['push', name], env);
    assert.equal(anon.status, 1);
    assert.match(anon.stderr, /tok\/bb/);
    const bad = await berthAsync(d.host, ['login', '-u', 'bob', '-p', 'x', reg.host], env);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /incorrect username or password/);
    const login = await berthAsync(d.host, ['login', '-u', 'bob', '-p', 'hunter2', reg.host], env);
    assert.equal(login.status, 0, login.stderr);
    const pushed = await berthAsync(d.host, ['push', name], env);
    assert.equal(pushed.status, 0, pushed.stderr);
    assert.ok(
      tokens.requests.some(
        (r) =>
          r.authorized && r.service === 'berth-registry' && r.scope.includes('repository:tok/bb:pull,push'),
      ),
      JSON.stringify(tokens.requests),
    );
    // one token serves many requests: far fewer token requests than registry requests
    const before = tokens.requests.length;
    assert.equal((await berthAsync(d.host, ['rmi', name])).status, 0);
    const pulled = await berthAsync(d.host, ['pull', name], env);
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.ok(tokens.requests.length - before <= 2, `${tokens.requests.length - before} token requests`);
    const run = await berthAsync(d.host, ['run', '--rm', '--network', 'none', name, 'echo', 'token']);
    assert.equal(run.stdout, 'token\n', run.stderr);
  });
});

describe('registry over TLS with a CA of the test', { skip }, () => {
  let reg: Registry;
  let d: Daemon;
  let dir: string;
  let ca: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-tls-'));
    const made = makeCa(dir);
    ca = made.ca;
    reg = await startRegistry({ tls: { certFile: made.cert, keyFile: made.key } });
    const daemonDir = mkdtempSync(join(tmpdir(), 'berthd-test-'));
    mkdirSync(join(daemonDir, 'certs.d', reg.host), { recursive: true });
    writeFileSync(join(daemonDir, 'certs.d', reg.host, 'ca.crt'), readFileSync(ca));
    writeFileSync(
      join(daemonDir, 'daemon.json'),
      JSON.stringify({ 'certs-dir': join(daemonDir, 'certs.d') }),
    );
    d = await startDaemon([], daemonDir);
    importBusybox(d);
  });
  after(async () => {
    await cleanup(d);
    await reg.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('push and pull through berthd over HTTPS', async () => {
    const name = `${reg.host}/tls/bb:1`;
    assert.equal((await berthAsync(d.host, ['tag', 'busybox', name])).status, 0);
    const pushed = await berthAsync(d.host, ['push', name]);
    assert.equal(pushed.status, 0, pushed.stderr);
    assert.equal((await berthAsync(d.host, ['rmi', name])).status, 0);
    const pulled = await berthAsync(d.host, ['pull', name]);
    assert.equal(pulled.status, 0, pulled.stderr);
  });

  test('the client verifies the registry against certs.d and refuses it without the CA', async () => {
    const certsDir = join(d.dir, 'certs.d');
    const cfg = { insecureRegistries: [], registryMirrors: [], secureLoopback: true };
    const trusted = new RegistryClient(reg.host, { ...cfg, certsDir });
    try {
      const { endpoint } = await trusted.endpoint();
      assert.equal(endpoint.url, `https://${reg.host}`);
      assert.equal(endpoint.insecureTls, false);
    } finally {
      trusted.close();
    }
    const untrusted = new RegistryClient(reg.host, { ...cfg, certsDir: join(dir, 'none') });
    try {
      await assert.rejects(untrusted.endpoint(), (err: Error) => {
        assert.match(err.message, new RegExp(`https://${reg.host.replace(/\./g, '\\.')}/v2/`));
        assert.match(err.message, /certificate/);
        return true;
      });
    } finally {
      untrusted.close();
    }
  });
});
