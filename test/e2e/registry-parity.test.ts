// What the docker CLI shows when it pulls and pushes through berthd, compared with what it shows
// through the reference dockerd 20.10 (the expectations below are dockerd's answers, taken from
// running the same commands against it): push progress ids, RepoDigests after a push, push
// errors inside the stream, no layer lines for an image already here, pulls by digest and of
// every tag, refusals that must not be 401 (the CLI would prompt for a login), login errors,
// GET /distribution/{name}/json and GET /images/search. A real docker-registry on 127.0.0.1.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  berth,
  cleanup,
  type Daemon,
  docker,
  hasDocker,
  importBusybox,
  startDaemon,
} from './daemon-helpers.ts';
import {
  hasRegistry,
  makeCa,
  type Registry,
  startRegistry,
  startTokenServer,
  type TokenServer,
} from './registry-helpers.ts';

const skip = !hasRegistry
  ? 'docker-registry missing (scripts/setup.sh)'
  : !hasDocker
    ? 'no docker CLI'
    : false;

/** The docker CLI without blocking this process (a token server of the test must answer). */
function dockerAsync(d: Daemon, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('docker', args, {
      env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    // a CLI that waits for a login prompt's answer is killed: status 137, not 1
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ status: code ?? (signal ? 137 : 128), stdout, stderr });
    });
  });
}

/** A raw Engine API call on the daemon's socket. */
function api(d: Daemon, method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        socketPath: d.socket,
        method,
        path,
        headers: { ...headers, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const diffIdOf = (d: Daemon, image: string) =>
  docker(d, ['image', 'inspect', '-f', '{{index .RootFS.Layers 0}}', image]).stdout.trim();

describe('the docker CLI through berthd answers as through dockerd', { skip }, () => {
  let reg: Registry;
  let d: Daemon;
  before(async () => {
    reg = await startRegistry();
    d = await startDaemon();
    importBusybox(d);
  });
  after(async () => {
    await cleanup(d);
    await reg.stop();
  });

  test('push: ids are DiffIDs, RepoDigests name each pushed repository, mounts come from the nearest', () => {
    const a = `${reg.host}/par/bb:1`;
    const b = `${reg.host}/other/bb:1`;
    const c = `${reg.host}/par/copy:1`;
    for (const n of [a, b, c]) assert.equal(docker(d, ['tag', 'busybox', n]).status, 0);
    const short = diffIdOf(d, 'busybox').slice('sha256:'.length, 'sha256:'.length + 12);
    const pushed = docker(d, ['push', a]);
    assert.equal(pushed.status, 0, pushed.stderr);
    assert.match(pushed.stdout, new RegExp(`^${short}: Preparing$`, 'm'));
    assert.match(pushed.stdout, new RegExp(`^${short}: Pushed$`, 'm'));
    const digest = /1: digest: (sha256:[0-9a-f]{64}) size/.exec(pushed.stdout)?.[1];
    assert.ok(digest, pushed.stdout);
    assert.equal(docker(d, ['push', b]).status, 0);
    const repoDigests = JSON.parse(docker(d, ['image', 'inspect', '-f', '{{json .RepoDigests}}', a]).stdout);
    assert.ok(repoDigests.includes(`${reg.host}/par/bb@${digest}`), repoDigests);
    assert.ok(repoDigests.includes(`${reg.host}/other/bb@${digest}`), repoDigests);
    const listed = docker(d, ['images', '--digests', '--format', '{{.Repository}} {{.Digest}}']).stdout;
    assert.match(listed, new RegExp(`/par/bb ${digest}`));
    // par/copy shares `par` with par/bb, nothing with other/bb
    const copy = docker(d, ['push', c]);
    assert.match(copy.stdout, new RegExp(`^${short}: Mounted from par/bb$`, 'm'));
    const again = docker(d, ['push', c]);
    assert.match(again.stdout, new RegExp(`^${short}: Layer already exists$`, 'm'));
  });

  test('push errors come after "The push refers to repository", in the stream', () => {
    assert.equal(docker(d, ['tag', 'busybox', `${reg.host}/par/bb:1`]).status, 0);
    const missing = docker(d, ['push', `${reg.host}/par/nothing:1`]);
    assert.equal(missing.status, 1);
    assert.equal(missing.stdout, `The push refers to repository [${reg.host}/par/nothing]\n`);
    assert.equal(missing.stderr, `An image does not exist locally with the tag: ${reg.host}/par/nothing\n`);
    const tag = docker(d, ['push', `${reg.host}/par/bb:nope`]);
    assert.equal(tag.status, 1);
    assert.equal(tag.stderr, `tag does not exist: ${reg.host}/par/bb:nope\n`);
    // a registry that does not answer: no layer lines, no retries
    assert.equal(docker(d, ['tag', 'busybox', '127.0.0.1:1/par/x:1']).status, 0);
    const down = docker(d, ['push', '127.0.0.1:1/par/x:1']);
    assert.equal(down.status, 1);
    assert.equal(down.stdout, 'The push refers to repository [127.0.0.1:1/par/x]\n');
    assert.match(
      down.stderr,
      /Get "http:\/\/127\.0\.0\.1:1\/v2\/": dial tcp 127\.0\.0\.1:1: connect: connection refused\n$/,
    );
  });

  test('pull: no layer lines for an image already here; by digest; every tag; --platform linux', () => {
    const name = `${reg.host}/par/bb`;
    assert.equal(docker(d, ['tag', 'busybox', `${name}:2`]).status, 0);
    assert.equal(docker(d, ['push', `${name}:2`]).status, 0);
    const up = docker(d, ['pull', `${name}:1`]);
    assert.equal(up.status, 0, up.stderr);
    const digest = /Digest: (sha256:[0-9a-f]{64})/.exec(up.stdout)?.[1];
    assert.equal(
      up.stdout,
      `1: Pulling from par/bb\nDigest: ${digest}\nStatus: Image is up to date for ${name}:1\n${name}:1\n`,
    );
    const byDigest = docker(d, ['pull', `${name}:1@${digest}`]);
    assert.equal(
      byDigest.stdout,
      `${name}@${digest}: Pulling from par/bb\nDigest: ${digest}\n` +
        `Status: Image is up to date for ${name}@${digest}\n${name}:1@${digest}\n`,
    );
    // every tag: a Digest line each, one Status line for the repository
    const all = docker(d, ['pull', '-a', name]);
    assert.equal(all.status, 0, all.stderr);
    assert.equal(all.stdout.match(/^Digest: /gm)?.length, 2, all.stdout);
    assert.equal(all.stdout.match(/^Status: /gm)?.length, 1, all.stdout);
    assert.match(all.stdout, new RegExp(`^Status: Image is up to date for ${name}\n${name}\n$`, 'm'));
    const os = docker(d, ['pull', '--platform', 'linux', `${name}:1`]);
    assert.equal(os.status, 0, os.stderr);
  });

  test('a fresh pull off a terminal shows no progress lines (berth as docker); push progress', async () => {
    const dir = join(d.dir, 'big');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'blob'), randomBytes(3 << 20));
    execFileSync('tar', ['-C', dir, '-cf', `${dir}.tar`, '.']);
    const name = `${reg.host}/par/big:1`;
    assert.equal(docker(d, ['import', `${dir}.tar`, name]).status, 0);
    assert.equal(docker(d, ['push', name]).status, 0);
    assert.equal(docker(d, ['rmi', name]).status, 0);
    const pulled = berth(d.host, ['pull', name]);
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.match(pulled.stdout, /: Pull complete\n/);
    assert.doesNotMatch(pulled.stdout, /Downloading|Extracting|\[=/);
    assert.match(pulled.stdout, new RegExp(`\n${name.replace(/\./g, '\\.')}\n$`));
    const bare = berth(d.host, ['pull', `${reg.host}/par/big`]);
    assert.match(bare.stdout, /^Using default tag: latest\n/);
    // a push streams its upload's progress as it goes, not only 0 and the end
    writeFileSync(join(dir, 'blob'), randomBytes(3 << 20));
    execFileSync('tar', ['-C', dir, '-cf', `${dir}.tar`, '.']);
    assert.equal(docker(d, ['import', `${dir}.tar`, `${reg.host}/par/up:1`]).status, 0);
    const push = await api(d, 'POST', `/v1.41/images/${reg.host}/par/up/push?tag=1`);
    const pushing = push.body
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((m) => m.status === 'Pushing');
    assert.ok(pushing.length >= 3, push.body);
    assert.match(pushing[1].progress, /^\[=*>\s*\] +[\d.]+[kM]B\/3\.\d+MB$/);
  });

  test('berth pull/push refuse what the docker CLI refuses, in its words, status 1', () => {
    const cases: [string[], string][] = [
      [
        ['pull', `${reg.host}/par/BB`],
        'invalid reference format: repository name (par/BB) must be lowercase',
      ],
      [['pull', '-a', 'x:1'], "tag can't be used with --all-tags/-a"],
      [['push', 'x@@'], 'invalid reference format'],
      [['push', '-a', `${reg.host}/par/bb:1`], "tag can't be used with --all-tags/-a"],
      [['push', `${reg.host}/par/bb@sha256:${'a'.repeat(64)}`], 'cannot push a digest reference'],
    ];
    for (const [args, message] of cases) {
      const res = berth(d.host, args);
      assert.deepEqual([res.status, res.stdout, res.stderr], [1, '', `${message}\n`], args.join(' '));
      const ref = docker(d, args);
      assert.deepEqual([ref.status, ref.stderr], [1, `${message}\n`], `docker ${args.join(' ')}`);
    }
  });

  test('the API: a bad tag is 400; /distribution/{name}/json; /images/search', async () => {
    const bad = await api(d, 'POST', `/v1.41/images/create?fromImage=${reg.host}/par/bb&tag=sha256:abc`);
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body).message, 'invalid tag format');
    const dist = await api(d, 'GET', `/v1.41/distribution/${reg.host}/par/bb:1/json`);
    assert.equal(dist.status, 200, dist.body);
    const info = JSON.parse(dist.body);
    assert.equal(info.Descriptor.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.match(info.Descriptor.digest, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(info.Platforms, [{ architecture: 'amd64', os: 'linux' }]);
    const none = await api(d, 'GET', `/v1.41/distribution/${reg.host}/par/bb:nope/json`);
    assert.equal(none.status, 404);
    assert.equal(JSON.parse(none.body).message, 'manifest unknown: manifest unknown');
    // docker-registry has no v1 search: dockerd's words for it
    const search = docker(d, ['search', `${reg.host}/bb`]);
    assert.equal(search.status, 1);
    assert.equal(search.stderr, 'Error response from daemon: Unexpected status code 404\n');
    const limit = await api(d, 'GET', '/v1.41/images/search?term=busybox&limit=101');
    assert.equal(limit.status, 400);
    assert.equal(JSON.parse(limit.body).message, 'Limit 101 is outside the range of [1, 100]');
  });
});

describe('refusals through berthd as dockerd words them', { skip }, () => {
  let dir: string;
  let tokens: TokenServer;
  let tokReg: Registry;
  let basicReg: Registry;
  let d: Daemon;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-parity-'));
    const { cert, key } = makeCa(dir);
    const opts = { keyFile: key, certFile: cert, issuer: 'parity', service: 'parity-registry' };
    tokens = await startTokenServer({ ...opts, user: 'bob', password: 'hunter2' });
    tokReg = await startRegistry({
      token: { realm: tokens.url, service: opts.service, issuer: opts.issuer, certFile: cert },
    });
    basicReg = await startRegistry({ htpasswd: { user: 'alice', password: 's3cret' } });
    d = await startDaemon();
  });
  after(async () => {
    await cleanup(d);
    await tokReg.stop();
    await basicReg.stop();
    await tokens.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a pull refused by a token registry is an error, not a login prompt', async () => {
    const res = await dockerAsync(d, ['pull', `${tokReg.host}/x/y:1`]);
    assert.equal(res.status, 1, res.stdout);
    assert.equal(
      res.stderr,
      `Error response from daemon: pull access denied for ${tokReg.host}/x/y, repository does not exist or may require 'docker login': denied: requested access to the resource is denied\n`,
    );
    const api404 = await api(d, 'POST', `/v1.41/images/create?fromImage=${basicReg.host}/x/y&tag=1`);
    assert.notEqual(api404.status, 401, api404.body);
  });

  test('berth login warns of plain-text credentials; logout says the same whether logged in or not', () => {
    const env = { DOCKER_CONFIG: join(d.dir, 'berth-config') };
    const ok = berth(d.host, ['login', '-u', 'alice', '-p', 's3cret', basicReg.host], env);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, 'Login Succeeded\n');
    assert.ok(
      ok.stderr.includes(
        `WARNING! Your credentials are stored unencrypted in '${join(env.DOCKER_CONFIG, 'config.json')}'.\n`,
      ),
      ok.stderr,
    );
    for (let i = 0; i < 2; i++) {
      const out = berth(d.host, ['logout', basicReg.host], env);
      assert.equal(out.status, 0, out.stderr);
      assert.equal(out.stdout, `Removing login credentials for ${basicReg.host}\n`);
    }
  });

  test('a bearer token got with good credentials does not serve a request with a wrong password', async () => {
    const auth = (password: string) =>
      Buffer.from(JSON.stringify({ username: 'bob', password })).toString('base64url');
    const path = `/v1.41/images/create?fromImage=${tokReg.host}/tok/none&tag=1`;
    const good = await api(d, 'POST', path, undefined, { 'X-Registry-Auth': auth('hunter2') });
    assert.equal(good.status, 404, good.body); // authorised: the repository is empty
    const bad = await api(d, 'POST', path, undefined, { 'X-Registry-Auth': auth('wrong') });
    assert.equal(bad.status, 500, bad.body);
    assert.match(JSON.parse(bad.body).message, /unauthorized: incorrect username or password/);
    const dist = await api(d, 'GET', `/v1.41/distribution/${tokReg.host}/tok/none:1/json`, undefined, {
      'X-Registry-Auth': auth('wrong'),
    });
    assert.equal(dist.status, 500, dist.body);
  });

  test('login errors', async () => {
    const basic = await dockerAsync(d, ['login', '-u', 'alice', '-p', 'bad', basicReg.host]);
    assert.equal(basic.status, 1);
    assert.match(
      basic.stderr,
      new RegExp(
        `Error response from daemon: login attempt to http://${basicReg.host.replace(/\./g, '\\.')}/v2/ failed with status: 401 Unauthorized\n$`,
      ),
    );
    const tok = await dockerAsync(d, ['login', '-u', 'bob', '-p', 'bad', tokReg.host]);
    assert.equal(tok.status, 1);
    assert.match(
      tok.stderr,
      new RegExp(
        `Error response from daemon: Get "http://${tokReg.host.replace(/\./g, '\\.')}/v2/": unauthorized: incorrect username or password\n$`,
      ),
    );
  });
});
