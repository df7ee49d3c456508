// Crash safety: berthd killed with SIGKILL in the middle of a load leaves no half-visible
// image or layer; the next start removes the temp files, and the same load then succeeds.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makeBusyboxRootfs } from '../fixtures/busybox.ts';
import { cleanup, type Daemon, docker, startDaemon } from './daemon-helpers.ts';

const daemons: Daemon[] = [];
after(async () => {
  for (const d of daemons) await cleanup(d);
});

const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

test('kill -9 during load leaves nothing half-stored', async () => {
  // an archive with a 64 MB layer, made by berth itself
  const maker = await startDaemon();
  daemons.push(maker);
  const rootfs = join(maker.dir, 'rootfs');
  makeBusyboxRootfs(rootfs);
  mkdirSync(join(rootfs, 'data'));
  writeFileSync(join(rootfs, 'data', 'big'), randomBytes(64 * 1024 * 1024));
  execFileSync('tar', ['-C', rootfs, '-cf', join(maker.dir, 'rootfs.tar'), '.']);
  assert.equal(docker(maker, ['import', join(maker.dir, 'rootfs.tar'), 'big:1']).status, 0);
  const archive = join(maker.dir, 'big.tar');
  assert.equal(docker(maker, ['save', '-o', archive, 'big:1']).status, 0);

  const d = await startDaemon();
  daemons.push(d);
  const load = spawn('docker', ['load', '-i', archive], {
    env: { ...process.env, DOCKER_HOST: d.host },
    stdio: 'ignore',
  });
  // listened for at once: it may end before berthd's kill is seen below
  const loadExited = new Promise((r) => load.once('exit', r));
  // kill the daemon once the load is under way: when blobs start arriving in the content store
  const ingest = join(d.dataRoot, 'image', 'content', 'ingest');
  for (let i = 0; i < 400 && entries(ingest).length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  d.process.kill('SIGKILL');
  await new Promise((r) => d.process.once('exit', r));
  await loadExited;

  const again = await startDaemon([], d.dir);
  daemons.push(again);
  assert.equal(docker(again, ['images', '-a', '-q']).stdout, '', 'no image is visible');
  assert.deepEqual(entries(ingest), [], 'interrupted ingests are removed on start');
  assert.deepEqual(
    entries(join(d.dataRoot, 'overlay', 'tmp')),
    [],
    'interrupted unpacks are removed on start',
  );
  const res = docker(again, ['load', '-i', archive]);
  assert.equal(res.status, 0, res.stderr);
  assert.equal(
    docker(again, ['inspect', '-f', '{{.Id}}', 'big:1']).stdout,
    docker(maker, ['inspect', '-f', '{{.Id}}', 'big:1']).stdout,
  );
});
