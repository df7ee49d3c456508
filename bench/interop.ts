// save/load interop between berthd and the reference dockerd (Debian's docker.io, 20.10), with
// the same docker CLI against both: an archive saved by one daemon loads into the other with
// the same image ID and the same RootFS layers, both ways, and back again.
//
//   node bench/interop.ts
//
// Images: the bench archive of bench/load.ts (busybox, a 4 MiB random file, 3000 small files, a
// whiteout and an opaque dir) and one dockerd makes itself (`docker import` of a rootfs, then a
// `docker build` with COPY and ENV on top, by the classic builder).

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Daemon, startDaemon } from '../test/e2e/daemon-helpers.ts';
import { makeBusyboxRootfs } from '../test/fixtures/busybox.ts';
import { buildArchive, docker, mustDocker } from './load.ts';
import { ensureDockerd, type RefDaemon, removeTree, startDockerd } from './reference.ts';

interface Check {
  what: string;
  ok: boolean;
  detail: string;
}

async function identity(host: string, ref: string): Promise<string> {
  return (await mustDocker(host, ['image', 'inspect', '-f', '{{.Id}} {{json .RootFS.Layers}}', ref])).trim();
}

/** save `ref` from one daemon, load the file into the other, compare ID and layers. */
async function transfer(
  from: { name: string; host: string },
  to: { name: string; host: string },
  ref: string,
  file: string,
): Promise<Check> {
  const what = `${ref}: save from ${from.name} → load into ${to.name}`;
  const before = await identity(from.host, ref);
  const saved = await docker(from.host, ['save', '-o', file, ref]);
  if (saved.status !== 0) return { what, ok: false, detail: `save failed: ${saved.stderr.trim()}` };
  await docker(to.host, ['rmi', '-f', ref]);
  const loaded = await docker(to.host, ['load', '-i', file]);
  if (loaded.status !== 0) return { what, ok: false, detail: `load failed: ${loaded.stderr.trim()}` };
  const after = await identity(to.host, ref);
  return {
    what,
    ok: before === after,
    detail: before === after ? `same ID ${before.slice(0, 19)}…, same layers` : `${before}\n  ≠ ${after}`,
  };
}

async function main(): Promise<void> {
  ensureDockerd();
  const dir = mkdtempSync(join(tmpdir(), 'berth-interop-'));
  let berthd: Daemon | undefined;
  let dockerd: RefDaemon | undefined;
  const checks: Check[] = [];
  try {
    const archive = await buildArchive(join(dir, 'archive'), { tag: 'interop/bench:1', bigBytes: 4 << 20 });
    mkdirSync(join(dir, 'berthd'));
    berthd = await startDaemon(['--storage-driver', 'overlay'], join(dir, 'berthd'));
    dockerd = await startDockerd(join(dir, 'dockerd'));
    const b = { name: 'berthd', host: berthd.host };
    const d = { name: 'dockerd', host: dockerd.host };

    // The bench archive: into berthd, then berthd → dockerd → berthd.
    await mustDocker(b.host, ['load', '-i', archive.path]);
    const id = (await identity(b.host, archive.tag)).split(' ')[0];
    checks.push({ what: 'bench archive loads into berthd', ok: id === archive.id, detail: id });
    checks.push(await transfer(b, d, archive.tag, join(dir, 'b2d.tar')));
    checks.push(await transfer(d, b, archive.tag, join(dir, 'd2b.tar')));

    // An image dockerd makes: import a busybox rootfs, build COPY + ENV on top.
    const rootfs = join(dir, 'rootfs');
    makeBusyboxRootfs(rootfs);
    const rootfsTar = join(dir, 'rootfs.tar');
    spawnSync('tar', ['-C', rootfs, '-cf', rootfsTar, '.']);
    await mustDocker(d.host, ['import', rootfsTar, 'interop/base:1']);
    const ctx = join(dir, 'ctx');
    mkdirSync(ctx);
    writeFileSync(join(ctx, 'hello.txt'), 'hello from dockerd\n');
    writeFileSync(
      join(ctx, 'Dockerfile'),
      'FROM interop/base:1\nCOPY hello.txt /etc/hello.txt\nENV GREETING=hi\n',
    );
    const built = spawnSync('docker', ['build', '-q', '-t', 'interop/built:1', ctx], {
      encoding: 'utf8',
      env: { ...process.env, DOCKER_HOST: d.host, DOCKER_BUILDKIT: '0' },
    });
    if (built.status !== 0) {
      checks.push({ what: 'docker build on dockerd', ok: false, detail: built.stderr.trim() });
    } else {
      checks.push(await transfer(d, b, 'interop/built:1', join(dir, 'built-d2b.tar')));
      checks.push(await transfer(b, d, 'interop/built:1', join(dir, 'built-b2d.tar')));
    }
  } finally {
    await berthd?.stop();
    await dockerd?.stop();
    removeTree(dir);
    rmSync(join(tmpdir(), 'berth-bench-docker-config'), { recursive: true, force: true });
  }
  for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.what}: ${c.detail}`);
  if (checks.some((c) => !c.ok)) process.exitCode = 1;
}

await main();
