// Pull and push against a real registry (Debian's docker-registry, distribution 2.8) on
// 127.0.0.1 over plain HTTP: the docker CLI and berth through berthd, interop with skopeo both
// ways, platform selection from an index, pulls by digest, and faults (a corrupted blob, a
// connection cut mid-layer, registry down, 404, 429) with nothing half-stored.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
import { berthAsync, freePort, hasRegistry, type Registry, startRegistry } from './registry-helpers.ts';

const hasSkopeo = spawnSync('skopeo', ['--version']).status === 0;
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** The blob files of berthd's content store. */
const blobs = (d: Daemon) => readdirSync(join(d.dataRoot, 'image', 'content', 'blobs', 'sha256')).sort();
const images = (d: Daemon) =>
  berth(d.host, ['images', '-q', '--no-trunc']).stdout.trim().split('\n').filter(Boolean);

/** Talks to the registry directly (to make indexes and corrupt things). */
async function http(method: string, url: string, body?: Buffer, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: Buffer; headers: Record<string, unknown> }>(
    (resolve, reject) => {
      const req = request(
        url,
        { method, headers: { ...headers, ...(body ? { 'Content-Length': String(body.length) } : {}) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    },
  );
}

async function putBlob(reg: Registry, repo: string, data: Buffer): Promise<string> {
  const digest = sha(data);
  const start = await http('POST', `http://${reg.host}/v2/${repo}/blobs/uploads/`);
  const loc = new URL(String(start.headers.location), `http://${reg.host}`);
  loc.searchParams.set('digest', digest);
  const put = await http('PUT', loc.href, data, { 'Content-Type': 'application/octet-stream' });
  assert.equal(put.status, 201, put.body.toString());
  return digest;
}

describe('registry over plain HTTP', {
  skip: hasRegistry ? false : 'docker-registry missing (scripts/setup.sh)',
}, () => {
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

  test('berth push, then docker pull through berthd restores the same image, which runs', () => {
    const name = `${reg.host}/plain/busybox:1`;
    assert.equal(berth(d.host, ['tag', 'busybox', name]).status, 0);
    const id = berth(d.host, ['inspect', '-f', '{{.Id}}', 'busybox']).stdout.trim();
    const pushed = berth(d.host, ['push', name]);
    assert.equal(pushed.status, 0, pushed.stderr);
    assert.match(pushed.stdout, /The push refers to repository \[127\.0\.0\.1:\d+\/plain\/busybox\]/);
    assert.match(pushed.stdout, /: Pushed/);
    assert.match(pushed.stdout, /1: digest: sha256:[0-9a-f]{64} size: \d+/);
    const again = berth(d.host, ['push', name]);
    assert.match(again.stdout, /Layer already exists/);
    assert.equal(berth(d.host, ['rmi', name]).status, 0);
    const pulled = hasDocker ? docker(d, ['pull', name]) : berth(d.host, ['pull', name]);
    assert.equal(pulled.status, 0, pulled.stderr);
    // the image is here already (as busybox): no layer lines, as dockerd
    assert.doesNotMatch(pulled.stdout, /Pull complete|Already exists/);
    assert.match(pulled.stdout, /Digest: sha256:[0-9a-f]{64}/);
    assert.match(pulled.stdout, /Status: Downloaded newer image for 127\.0\.0\.1:\d+\/plain\/busybox:1/);
    assert.equal(berth(d.host, ['inspect', '-f', '{{.Id}}', name]).stdout.trim(), id);
    const digests = berth(d.host, ['inspect', '-f', '{{json .RepoDigests}}', name]).stdout;
    assert.match(digests, /plain\/busybox@sha256:/);
    const up = berth(d.host, ['pull', name]);
    assert.match(up.stdout, /Status: Image is up to date for/);
    const run = berth(d.host, ['run', '--rm', '--network', 'none', name, 'echo', 'pulled']);
    assert.equal(run.stdout, 'pulled\n', run.stderr);
  });

  test('docker push through berthd, pull by digest, -q, -a', { skip: !hasDocker && 'no docker CLI' }, () => {
    const name = `${reg.host}/dockercli/bb`;
    assert.equal(docker(d, ['tag', 'busybox', `${name}:a`]).status, 0);
    assert.equal(docker(d, ['tag', 'busybox', `${name}:b`]).status, 0);
    const pushed = docker(d, ['push', '-a', name]);
    assert.equal(pushed.status, 0, pushed.stderr);
    const digest = /a: digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout)?.[1];
    assert.ok(digest, pushed.stdout);
    assert.match(pushed.stdout, /b: digest: /);
    docker(d, ['rmi', `${name}:a`, `${name}:b`]);
    const byDigest = berth(d.host, ['pull', `${name}@${digest}`]);
    assert.equal(byDigest.status, 0, byDigest.stderr);
    assert.match(byDigest.stdout, new RegExp(`Status: .* for 127\\.0\\.0\\.1:\\d+/dockercli/bb@${digest}`));
    const q = berth(d.host, ['pull', '-q', `${name}:a`]);
    assert.equal(q.stdout, `${name}:a\n`, q.stderr);
    const all = docker(d, ['pull', '-a', name]);
    assert.equal(all.status, 0, all.stderr);
    const tags = docker(d, ['images', '--format', '{{.Tag}}', name])
      .stdout.split('\n')
      .filter(Boolean)
      .sort();
    assert.deepEqual(tags, ['a', 'b']);
  });

  test('images skopeo pushed (v2s2 and OCI) pull with berth; berth pushes pull with skopeo', {
    skip: !hasSkopeo && 'no skopeo',
  }, () => {
    const archive = join(d.dir, 'bb.tar');
    assert.equal(berth(d.host, ['save', '-o', archive, 'busybox']).status, 0);
    const id = berth(d.host, ['inspect', '-f', '{{.Id}}', 'busybox']).stdout.trim();
    for (const format of ['v2s2', 'oci']) {
      execFileSync(
        'skopeo',
        [
          'copy',
          '--dest-tls-verify=false',
          '--format',
          format,
          `docker-archive:${archive}`,
          `docker://${reg.host}/skopeo/bb:${format}`,
        ],
        { stdio: 'pipe' },
      );
      const res = berth(d.host, ['pull', `${reg.host}/skopeo/bb:${format}`]);
      assert.equal(res.status, 0, res.stderr);
      // the image config is what skopeo stored (OCI conversion rewrites it), and it runs
      const run = berth(d.host, [
        'run',
        '--rm',
        '--network',
        'none',
        `${reg.host}/skopeo/bb:${format}`,
        'echo',
        format,
      ]);
      assert.equal(run.stdout, `${format}\n`, run.stderr);
      if (format === 'v2s2')
        assert.equal(
          berth(d.host, ['inspect', '-f', '{{.Id}}', `${reg.host}/skopeo/bb:${format}`]).stdout.trim(),
          id,
        );
    }
    // berth → registry → skopeo
    assert.equal(berth(d.host, ['tag', 'busybox', `${reg.host}/toskopeo/bb:1`]).status, 0);
    assert.equal(berth(d.host, ['push', `${reg.host}/toskopeo/bb:1`]).status, 0);
    const inspect = JSON.parse(
      execFileSync(
        'skopeo',
        ['inspect', '--tls-verify=false', '--raw', `docker://${reg.host}/toskopeo/bb:1`],
        { encoding: 'utf8' },
      ),
    );
    assert.equal(inspect.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.equal(inspect.layers[0].mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
    const out = join(d.dir, 'skopeo-oci');
    execFileSync(
      'skopeo',
      ['copy', '--src-tls-verify=false', `docker://${reg.host}/toskopeo/bb:1`, `oci:${out}:x`],
      { stdio: 'pipe' },
    );
    assert.ok(readdirSync(join(out, 'blobs', 'sha256')).length >= 3);
  });

  test('a two-platform index resolves to the host platform, and --platform picks the other', async () => {
    const name = `${reg.host}/multi/bb`;
    assert.equal(berth(d.host, ['tag', 'busybox', `${name}:host`]).status, 0);
    assert.equal(berth(d.host, ['push', `${name}:host`]).status, 0);
    const hostManifest = await http('GET', `http://${reg.host}/v2/multi/bb/manifests/host`, undefined, {
      Accept: 'application/vnd.docker.distribution.manifest.v2+json',
    });
    const m = JSON.parse(hostManifest.body.toString());
    const configBytes = (await http('GET', `http://${reg.host}/v2/multi/bb/blobs/${m.config.digest}`)).body;
    const config = JSON.parse(configBytes.toString());
    const otherArch = process.arch === 'arm64' ? 'amd64' : 'arm64';
    const hostArch = process.arch === 'arm64' ? 'arm64' : 'amd64';
    const other = Buffer.from(JSON.stringify({ ...config, architecture: otherArch }));
    const otherDigest = await putBlob(reg, 'multi/bb', other);
    const otherManifest = Buffer.from(
      JSON.stringify({ ...m, config: { ...m.config, digest: otherDigest, size: other.length } }),
    );
    const put = await http('PUT', `http://${reg.host}/v2/multi/bb/manifests/other`, otherManifest, {
      'Content-Type': m.mediaType,
    });
    assert.equal(put.status, 201, put.body.toString());
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: m.mediaType,
            digest: sha(otherManifest),
            size: otherManifest.length,
            platform: { os: 'linux', architecture: otherArch },
          },
          {
            mediaType: m.mediaType,
            digest: sha(hostManifest.body),
            size: hostManifest.body.length,
            platform: { os: 'linux', architecture: hostArch },
          },
        ],
      }),
    );
    const putIndex = await http('PUT', `http://${reg.host}/v2/multi/bb/manifests/both`, index, {
      'Content-Type': 'application/vnd.oci.image.index.v1+json',
    });
    assert.equal(putIndex.status, 201, putIndex.body.toString());
    const res = berth(d.host, ['pull', `${name}:both`]);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`Digest: ${sha(index)}`));
    assert.equal(
      berth(d.host, ['inspect', '-f', '{{.Architecture}}', `${name}:both`]).stdout.trim(),
      hostArch,
    );
    const res2 = berth(d.host, ['pull', '--platform', `linux/${otherArch}`, `${name}:both`]);
    assert.equal(res2.status, 0, res2.stderr);
    assert.equal(berth(d.host, ['inspect', '-f', '{{.Id}}', `${name}:both`]).stdout.trim(), otherDigest);
    const none = berth(d.host, ['pull', '--platform', 'linux/s390x', `${name}:both`]);
    assert.notEqual(none.status, 0);
    assert.match(none.stderr, /no matching manifest for linux\/s390x in the manifest list entries/);
  });

  test('a blob whose bytes do not match its digest is refused and nothing is stored', async () => {
    // an image of its own: the registry stores blobs once for all repositories
    const name = `${reg.host}/corrupt/bb:1`;
    mkdirSync(join(d.dir, 'corrupt'));
    writeFileSync(join(d.dir, 'corrupt', 'data'), randomBytes(300_000));
    execFileSync('tar', ['-C', join(d.dir, 'corrupt'), '-cf', join(d.dir, 'corrupt.tar'), '.']);
    assert.equal(berth(d.host, ['import', join(d.dir, 'corrupt.tar'), name]).status, 0);
    assert.equal(berth(d.host, ['push', name]).status, 0);
    const m = JSON.parse(
      (
        await http('GET', `http://${reg.host}/v2/corrupt/bb/manifests/1`, undefined, {
          Accept: 'application/vnd.docker.distribution.manifest.v2+json',
        })
      ).body.toString(),
    );
    const hex = m.layers[0].digest.slice(7);
    const file = join(
      reg.dir,
      'storage',
      'docker',
      'registry',
      'v2',
      'blobs',
      'sha256',
      hex.slice(0, 2),
      hex,
      'data',
    );
    const data = readFileSync(file);
    data[data.length >> 1] ^= 0xff;
    writeFileSync(file, data);
    // a fresh daemon: nothing of this image is there yet
    const fresh = await startDaemon();
    try {
      const before = blobs(fresh);
      const res = berth(fresh.host, ['pull', name]);
      assert.equal(res.status, 1);
      assert.match(res.stderr, new RegExp(`verification failed for digest ${m.layers[0].digest}`));
      assert.match(res.stderr, /127\.0\.0\.1:\d+\/corrupt\/bb:1/);
      assert.deepEqual(blobs(fresh), before);
      assert.deepEqual(images(fresh), []);
      assert.deepEqual(
        readdirSync(join(fresh.dataRoot, 'overlay', 'snapshots')).filter((n) => !n.startsWith('.')),
        [],
      );
    } finally {
      await cleanup(fresh);
    }
  });

  test('errors name the registry and the reference: 404, registry down, 429', async () => {
    const missing = berth(d.host, ['pull', `${reg.host}/nothing/here:1`]);
    assert.equal(missing.status, 1);
    assert.match(
      missing.stderr,
      new RegExp(`Error response from daemon: .*${reg.host}/nothing/here:1.*not found`),
    );
    const port = await freePort();
    const down = await berthAsync(d.host, ['pull', `127.0.0.1:${port}/x:1`]);
    assert.equal(down.status, 1);
    assert.match(down.stderr, new RegExp(`127\\.0\\.0\\.1:${port}/v2/.*connection refused`));
    const limited = createServer((_req, res) => {
      res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '7' });
      res.end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
    });
    await new Promise<void>((r) => limited.listen(0, '127.0.0.1', r));
    try {
      const lport = (limited.address() as AddressInfo).port;
      const res = await berthAsync(d.host, ['pull', `127.0.0.1:${lport}/x:1`]);
      assert.equal(res.status, 1);
      assert.match(res.stderr, new RegExp(`127\\.0\\.0\\.1:${lport}`));
      assert.match(res.stderr, /toomanyrequests: slow down/);
    } finally {
      limited.close();
    }
  });

  test('a connection cut mid-layer resumes with a Range request', async () => {
    const name = `cut/bb:1`;
    assert.equal(berth(d.host, ['tag', 'busybox', `${reg.host}/${name}`]).status, 0);
    assert.equal(berth(d.host, ['push', `${reg.host}/${name}`]).status, 0);
    // a proxy that cuts the first blob response halfway and records Range headers
    const ranges: string[] = [];
    let cut = false;
    const proxy: Server = createServer((req, res) => {
      if (req.headers.range) ranges.push(req.headers.range);
      const up = request(
        `http://${reg.host}${req.url}`,
        { method: req.method, headers: { ...req.headers, host: reg.host } },
        (ur) => {
          const isLayer =
            /\/blobs\/sha256:/.test(req.url ?? '') && Number(ur.headers['content-length']) > 100_000;
          res.writeHead(ur.statusCode ?? 500, ur.headers);
          if (isLayer && !cut) {
            cut = true;
            let sent = 0;
            ur.on('data', (c: Buffer) => {
              if (sent > 200_000) return;
              sent += c.length;
              res.write(c);
              if (sent > 200_000) {
                ur.destroy();
                res.socket?.destroy();
              }
            });
            return;
          }
          ur.pipe(res);
        },
      );
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    let fresh: Daemon | undefined;
    try {
      // a fresh daemon, which has none of the layers
      fresh = await startDaemon();
      const pport = (proxy.address() as AddressInfo).port;
      const res = await berthAsync(fresh.host, ['pull', `127.0.0.1:${pport}/${name}`]);
      assert.equal(res.status, 0, res.stderr);
      assert.ok(cut);
      assert.ok(
        ranges.some((r) => /^bytes=\d+-$/.test(r) && r !== 'bytes=0-'),
        `ranges: ${ranges}`,
      );
      const run = await berthAsync(fresh.host, [
        'run',
        '--rm',
        '--network',
        'none',
        `127.0.0.1:${pport}/${name}`,
        'echo',
        'resumed',
      ]);
      assert.equal(run.stdout, 'resumed\n', run.stderr);
    } finally {
      if (fresh) await cleanup(fresh);
      proxy.close();
    }
  });

  test('an uncompressed layer goes up zstd-compressed on request; a push across repositories mounts', () => {
    const name = `${reg.host}/zstd/x:1`;
    mkdirSync(join(d.dir, 'zstd'));
    writeFileSync(join(d.dir, 'zstd', 'data'), randomBytes(50_000));
    execFileSync('tar', ['-C', join(d.dir, 'zstd'), '-cf', join(d.dir, 'zstd.tar'), '.']);
    assert.equal(berth(d.host, ['import', join(d.dir, 'zstd.tar'), name]).status, 0);
    const id = berth(d.host, ['inspect', '-f', '{{.Id}}', name]).stdout.trim();
    const pushed = berth(d.host, ['push', '--compression', 'zstd', name]);
    assert.equal(pushed.status, 0, pushed.stderr);
    if (hasSkopeo) {
      const raw = JSON.parse(
        execFileSync('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${name}`], {
          encoding: 'utf8',
        }),
      );
      assert.equal(raw.mediaType, 'application/vnd.oci.image.manifest.v1+json');
      assert.equal(raw.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');
    }
    assert.equal(berth(d.host, ['rmi', name]).status, 0);
    const pulled = berth(d.host, ['pull', name]);
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.equal(berth(d.host, ['inspect', '-f', '{{.Id}}', name]).stdout.trim(), id);
    assert.equal(berth(d.host, ['tag', name, `${reg.host}/mounted/x:1`]).status, 0);
    const mounted = berth(d.host, ['push', `${reg.host}/mounted/x:1`]);
    assert.equal(mounted.status, 0, mounted.stderr);
    assert.match(mounted.stdout, /Mounted from zstd\/x/);
  });

  test('registry-mirrors: Docker Hub names are pulled from the mirror', async () => {
    assert.equal(berth(d.host, ['tag', 'busybox', `${reg.host}/library/busybox:mirrored`]).status, 0);
    assert.equal(berth(d.host, ['push', `${reg.host}/library/busybox:mirrored`]).status, 0);
    const dir = mkdtempSync(join(tmpdir(), 'berthd-test-'));
    writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ 'registry-mirrors': [`http://${reg.host}`] }));
    const mirrored = await startDaemon([], dir);
    try {
      const res = berth(mirrored.host, ['pull', 'busybox:mirrored']);
      assert.equal(res.status, 0, res.stderr);
      assert.match(res.stdout, /Status: Downloaded newer image for busybox:mirrored/);
      const tags = berth(mirrored.host, ['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout;
      assert.equal(tags, 'busybox:mirrored\n');
    } finally {
      await cleanup(mirrored);
    }
  });

  test('run and create pull a missing image (--pull missing|always|never)', () => {
    const name = `${reg.host}/runpull/bb:1`;
    assert.equal(berth(d.host, ['tag', 'busybox', name]).status, 0);
    assert.equal(berth(d.host, ['push', name]).status, 0);
    assert.equal(berth(d.host, ['rmi', name]).status, 0);
    const never = berth(d.host, ['run', '--rm', '--pull', 'never', '--network', 'none', name, 'true']);
    assert.notEqual(never.status, 0);
    assert.match(never.stderr, /No such image/i);
    const run = berth(d.host, ['run', '--rm', '--network', 'none', name, 'echo', 'auto']);
    assert.equal(run.stdout, 'auto\n', run.stderr);
    assert.match(run.stderr, new RegExp(`Unable to find image '${name.replace(/\./g, '\\.')}' locally`));
    assert.match(run.stderr, /Pulling from runpull\/bb/);
    const always = berth(d.host, ['create', '--pull', 'always', '--network', 'none', name]);
    assert.equal(always.status, 0, always.stderr);
    assert.match(always.stderr, /Image is up to date/);
    berth(d.host, ['rm', always.stdout.trim()]);
    if (hasDocker) {
      assert.equal(berth(d.host, ['rmi', name]).status, 0);
      const dr = docker(d, ['run', '--rm', '--network', 'none', name, 'echo', 'docker']);
      assert.equal(dr.stdout, 'docker\n', dr.stderr);
    }
  });
});
