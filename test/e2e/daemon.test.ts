// berthd with the real docker CLI and with berth: version negotiation, info, ping headers,
// API version bounds and errors, events, the data-root lock, configuration errors, TLS-only
// TCP, clean shutdown, and berth starting the daemon by itself.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BERTHD, berth, cleanup, type Daemon, docker, startDaemon } from './daemon-helpers.ts';

function raw(
  socket: string,
  method: string,
  path: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('berthd', () => {
  let d: Daemon;
  before(async () => {
    d = await startDaemon();
  });
  after(async () => {
    await cleanup(d);
  });

  test('the docker CLI negotiates the API version and reads /version and /info', () => {
    const v = docker(d, [
      'version',
      '--format',
      '{{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Client.APIVersion}}',
    ]);
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stdout.trim(), '1.45 1.24 1.45');
    const info = docker(d, [
      'info',
      '--format',
      '{{.OSType}} {{.Driver}} {{.CgroupDriver}} {{.DockerRootDir}}',
    ]);
    assert.equal(info.status, 0, info.stderr);
    assert.equal(info.stdout.trim(), `linux overlay2 cgroupfs ${d.dataRoot}`);
    const df = docker(d, ['system', 'df']);
    assert.equal(df.status, 0, df.stderr);
    assert.match(df.stdout, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\nImages\s+0/);
  });

  test('/_ping answers HEAD and GET with the negotiation headers', async () => {
    for (const method of ['HEAD', 'GET']) {
      const res = await raw(d.socket, method, '/_ping');
      assert.equal(res.status, 200);
      assert.equal(res.headers['api-version'], '1.45');
      assert.equal(res.headers.ostype, 'linux');
      assert.equal(res.headers['builder-version'], '1');
      assert.equal(res.body, method === 'GET' ? 'OK' : '');
    }
  });

  test("API versions outside 1.24-1.45 and unknown paths are refused with Docker's errors", async () => {
    const tooNew = await raw(d.socket, 'GET', '/v1.99/version');
    assert.equal(tooNew.status, 400);
    assert.match(
      JSON.parse(tooNew.body).message,
      /client version 1.99 is too new. Maximum supported API version is 1.45/,
    );
    const tooOld = await raw(d.socket, 'GET', '/v1.12/info');
    assert.equal(tooOld.status, 400);
    assert.match(JSON.parse(tooOld.body).message, /too old. Minimum supported API version is 1.24/);
    const ok = await raw(d.socket, 'GET', '/v1.24/version');
    assert.equal(ok.status, 200);
    const missing = await raw(d.socket, 'GET', '/v1.45/nope');
    assert.equal(missing.status, 404);
    assert.deepEqual(JSON.parse(missing.body), { message: 'page not found' });
  });

  test('events stream live and replay with --since/--until; unknown filter keys ignored, since after until refused', async () => {
    const live = spawn('docker', ['events', '--filter', 'type=daemon', '--format', '{{.Type}} {{.Action}}'], {
      env: { ...process.env, DOCKER_HOST: d.host },
    });
    let out = '';
    live.stdout.on('data', (c) => (out += c));
    await new Promise((r) => setTimeout(r, 500));
    d.process.kill('SIGHUP');
    for (let i = 0; i < 100 && !out.includes('daemon reload'); i++)
      await new Promise((r) => setTimeout(r, 50));
    live.kill();
    assert.equal(out.trim(), 'daemon reload');
    const now = Math.ceil(Date.now() / 1000) + 1;
    const replay = docker(d, ['events', '--since', '0', '--until', String(now), '--format', '{{json .}}']);
    assert.equal(replay.status, 0, replay.stderr);
    const event = JSON.parse(replay.stdout.trim().split('\n')[0]);
    assert.equal(event.Type, 'daemon');
    assert.equal(event.Action, 'reload');
    // as dockerd: a filter key it does not know is ignored; since after until is refused
    const unknown = docker(d, [
      'events',
      '--since',
      '0',
      '--filter',
      'bogus=1',
      '--until',
      String(now),
      '--format',
      '{{.Action}}',
    ]);
    assert.equal(unknown.status, 0, unknown.stderr);
    assert.equal(unknown.stdout.split('\n')[0], 'reload');
    const bad = docker(d, ['events', '--since', String(now), '--until', '100']);
    assert.notEqual(bad.status, 0);
    assert.match(
      bad.stderr,
      new RegExp(`\`since\` time \\(${now}\\) cannot be after \`until\` time \\(100\\)`),
    );
  });

  test('a malformed request line gets a 400 and the daemon keeps serving', async () => {
    for (const target of ['//[', '/images/%E0%A4%A/json']) {
      const answer = await new Promise<string>((resolve, reject) => {
        const s = connect(d.socket, () =>
          s.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
        );
        let got = '';
        s.on('data', (c) => (got += c));
        s.on('end', () => resolve(got));
        s.on('error', reject);
      });
      assert.match(answer, /^HTTP\/1.1 400 /, target);
    }
    assert.equal((await raw(d.socket, 'GET', '/_ping')).status, 200);
  });

  test('berth prints what the daemon says, and Docker-style usage errors', () => {
    const v = berth(d.host, ['version']);
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, /API version:\s+1\.45 \(minimum version 1\.24\)/);
    const info = berth(d.host, ['info']);
    assert.match(info.stdout, /Storage Driver: overlay2\n/);
    const flag = berth(d.host, ['version', '--bogus']);
    assert.equal(flag.status, 125);
    assert.match(
      flag.stderr,
      /^unknown flag: --bogus\n\nUsage: {2}berth version .*\n\nRun 'berth version --help' for more information\n$/,
    );
    const cmd = berth(d.host, ['frobnicate']);
    assert.equal(cmd.status, 125);
    assert.match(cmd.stderr, /'frobnicate' is not a berth command/);
  });

  test('one daemon per data root', async () => {
    const second = spawnSync(
      BERTHD,
      [
        '--data-root',
        d.dataRoot,
        '--exec-root',
        join(d.dir, 'exec2'),
        '-H',
        `unix://${join(d.dir, 'other.sock')}`,
      ],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    assert.equal(second.status, 1);
    assert.match(second.stderr, new RegExp(`another berthd is running with data root ${d.dataRoot}`));
  });
});

describe('berthd configuration and lifecycle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berthd-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[]) => spawnSync(BERTHD, args, { encoding: 'utf8', timeout: 20_000 });

  test('daemon.json: unknown keys, bad JSON and flag conflicts are refused', () => {
    const file = join(dir, 'daemon.json');
    writeFileSync(file, '{"bogus-key": 1}');
    let res = run(['--config-file', file]);
    assert.equal(res.status, 125);
    assert.match(res.stderr, /unknown configuration option "bogus-key"/);
    writeFileSync(file, '{"data-root": ');
    res = run(['--config-file', file]);
    assert.match(res.stderr, /invalid JSON/);
    writeFileSync(file, '{"storage-driver": "zfs"}');
    res = run(['--config-file', file]);
    assert.match(res.stderr, /unknown storage driver "zfs" \(want overlay2 or vfs\)/);
    writeFileSync(file, `{"data-root": "${join(dir, 'a')}"}`);
    res = run(['--config-file', file, '--data-root', join(dir, 'b')]);
    assert.match(res.stderr, /specified both as a flag and in the configuration file/);
    res = run(['--bogus']);
    assert.match(res.stderr, /unknown flag: --bogus/);
  });

  test('TCP only with --tlsverify', () => {
    const res = run([
      '--data-root',
      join(dir, 'tcp'),
      '--exec-root',
      join(dir, 'tcpx'),
      '-H',
      'tcp://127.0.0.1:0',
    ]);
    assert.equal(res.status, 1);
    assert.match(res.stderr, /refusing to listen on tcp:\/\/127.0.0.1:0 without --tlsverify/);
  });

  test('daemon.json settings apply; SIGTERM removes the socket and the pid file', async () => {
    const sub = mkdtempSync(join(dir, 'life-'));
    writeFileSync(
      join(sub, 'daemon.json'),
      JSON.stringify({ labels: ['team=berth'], 'storage-driver': 'vfs' }),
    );
    const d = await startDaemon([], sub);
    const info = docker(d, ['info', '--format', '{{.Driver}} {{json .Labels}}']);
    assert.equal(info.stdout.trim(), 'vfs ["team=berth"]');
    const pidfile = join(d.execRoot, 'berthd.pid');
    assert.equal(readFileSync(pidfile, 'utf8'), String(d.process.pid));
    assert.equal(await d.stop(), 0);
    assert.ok(!existsSync(d.socket), 'socket removed');
    assert.ok(!existsSync(pidfile), 'pid file removed');
  });

  test('berth starts berthd when nothing answers', async () => {
    const sub = mkdtempSync(join(dir, 'auto-'));
    const host = `unix://${join(sub, 'berth.sock')}`;
    const env = {
      BERTH_HOST: host,
      BERTH_DAEMON_ARGS: `--data-root ${join(sub, 'data')} --exec-root ${join(sub, 'exec')} --config-file ${join(sub, 'none.json')}`,
    };
    writeFileSync(join(sub, 'none.json'), '{}');
    const res = berth(undefined, ['info', '--format', '{{json .DockerRootDir}}'], env);
    try {
      assert.equal(res.status, 0, res.stderr);
      assert.equal(res.stdout.trim(), JSON.stringify(join(sub, 'data')));
    } finally {
      const pid = Number(readFileSync(join(sub, 'exec', 'berthd.pid'), 'utf8'));
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && existsSync(join(sub, 'exec', 'berthd.pid')); i++)
        await new Promise((r) => setTimeout(r, 50));
    }
    const none = berth(`unix://${join(sub, 'nobody.sock')}`, ['version']);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /Cannot connect to the berth daemon at unix:\/\/.*nobody.sock/);
  });
});
