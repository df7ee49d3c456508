// `docker load` of a ~128 MB, 4-layer docker-archive into berthd and into the reference dockerd
// (Debian's docker.io, 20.10), side by side in one run, with the same docker CLI. Prints a
// markdown table (median and p90 seconds, ratio).
//
//   node bench/load.ts [runs]   (default 5 runs per daemon, interleaved)
//
// The archive is built once in a temp dir: layer 1 a busybox rootfs, layer 2 one 96 MiB file of
// random bytes, layer 3 3000 files of 1-8 KiB in nested directories, layer 4 a few small changes
// (a changed file, a new one, a whiteout, an opaque directory); uncompressed layers, in the
// legacy docker-archive form (manifest.json, <config>.json, <dir>/layer.tar) that docker save
// wrote before Docker 25. Between runs each daemon `rmi`s the image, and the script checks in
// the daemon's storage directory that the next load unpacks every layer afresh.
//
// Settling: after each rmi the script runs sync and waits BENCH_SETTLE seconds (default 65)
// before the next load. On an ext4 without a journal (as on this VM) the kernel avoids reusing
// inodes freed in the last 60 s (ialloc.c recently_deleted(); 360 s while their inode-table block
// is dirty) and scans whole block groups for each new file, so a load that follows a deletion of
// thousands of files pays ~1 ms per file created, depending on where its directories land: it
// would measure the previous run's rmi, not the load.

import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { header, type TarHeader } from '../src/storage/tar/header.ts';
import { type TarInput, writeTar } from '../src/storage/tar/writer.ts';
import { type Daemon, startDaemon } from '../test/e2e/daemon-helpers.ts';
import { makeBusyboxRootfs } from '../test/fixtures/busybox.ts';
import { ensureDockerd, type RefDaemon, removeTree, startDockerd } from './reference.ts';
import { summary } from './stats.ts';

const MTIME = 1_700_000_000;
const MiB = 1 << 20;

// ---- the archive ----------------------------------------------------------------------------

type Entry = TarInput;
const dirEntry = (name: string, more: Partial<TarHeader> = {}): Entry =>
  header({ ...more, name: `${name}/`, type: 'dir', mode: more.mode ?? 0o755, mtime: MTIME });
const fileEntry = (
  name: string,
  body: Buffer | AsyncIterable<Buffer>,
  size: number,
  mode = 0o644,
): Entry => ({
  ...header({ name, size, mode, mtime: MTIME }),
  body,
});

/** Entries for a directory tree on disk, parents first, names sorted (as docker writes them). */
function* treeEntries(root: string, rel = ''): Generator<Entry> {
  for (const name of readdirSync(join(root, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const p = join(root, r);
    const st = lstatSync(p);
    const mode = st.mode & 0o7777;
    if (st.isDirectory()) {
      yield dirEntry(r, { mode });
      yield* treeEntries(root, r);
    } else if (st.isSymbolicLink()) {
      yield header({ name: r, type: 'symlink', linkname: readlinkSync(p), mode: 0o777, mtime: MTIME });
    } else {
      yield fileEntry(r, readFileSync(p), st.size, mode);
    }
  }
}

async function* randomChunks(size: number): AsyncGenerator<Buffer> {
  for (let left = size; left > 0; left -= MiB) yield randomBytes(Math.min(MiB, left));
}

/** Layer 3: 3000 files of 1-8 KiB, srv/d00..d29/e0..e9/f0..f9.dat. */
function* smallFiles(): Generator<Entry> {
  yield dirEntry('srv');
  for (let d = 0; d < 30; d++) {
    const dn = `srv/d${String(d).padStart(2, '0')}`;
    yield dirEntry(dn);
    for (let e = 0; e < 10; e++) {
      yield dirEntry(`${dn}/e${e}`);
      for (let f = 0; f < 10; f++) {
        const size = 1024 + Math.floor(Math.random() * 7 * 1024);
        yield fileEntry(`${dn}/e${e}/f${f}.dat`, randomBytes(size), size);
      }
    }
  }
}

/** Layer 4: a changed file, a new file, a whiteout, an opaque directory with a new file in it. */
function* smallChanges(): Generator<Entry> {
  const hostname = Buffer.from('bench\n');
  const motd = Buffer.from('loaded by bench/load.ts\n');
  const note = Buffer.from('the only file left in d01\n');
  yield dirEntry('etc');
  yield fileEntry('etc/hostname', hostname, hostname.length);
  yield fileEntry('etc/motd', motd, motd.length);
  yield dirEntry('srv');
  yield dirEntry('srv/d00');
  yield dirEntry('srv/d00/e0');
  yield fileEntry('srv/d00/e0/.wh.f0.dat', Buffer.alloc(0), 0);
  yield dirEntry('srv/d01');
  yield fileEntry('srv/d01/.wh..wh..opq', Buffer.alloc(0), 0);
  yield fileEntry('srv/d01/NOTE', note, note.length);
}

/** Writes a layer tar to `path`; its DiffID and size. */
async function writeLayer(path: string, entries: Iterable<Entry>): Promise<{ diffId: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  await pipeline(Readable.from(writeTar(entries)), tap, createWriteStream(path));
  return { diffId: `sha256:${hash.digest('hex')}`, size };
}

export interface BenchArchive {
  path: string;
  size: number;
  /** The image ID (config digest). */
  id: string;
  tag: string;
  diffIds: string[];
}

export interface ArchiveSpec {
  tag: string;
  /** Size of layer 2's one file (default 96 MiB). */
  bigBytes?: number;
  /** Small: layer 1 without busybox (layers no other archive shares), no layer 3. */
  small?: boolean;
}

/** Builds the archive under `dir` (see the top of this file). */
export async function buildArchive(dir: string, spec: ArchiveSpec): Promise<BenchArchive> {
  const work = join(dir, 'layers');
  mkdirSync(work, { recursive: true });
  const rootfs = join(dir, 'busybox-rootfs');
  if (spec.small) mkdirSync(join(rootfs, 'etc'), { recursive: true });
  else makeBusyboxRootfs(rootfs);
  const big = spec.bigBytes ?? 96 * MiB;
  const layerSpecs: { entries: Iterable<Entry>; created_by: string }[] = [
    { entries: treeEntries(rootfs), created_by: 'busybox rootfs' },
    {
      entries: [dirEntry('data'), fileEntry('data/random.bin', randomChunks(big), big)],
      created_by: `one ${big} byte file of random bytes`,
    },
  ];
  if (!spec.small) layerSpecs.push({ entries: smallFiles(), created_by: '3000 files of 1-8 KiB' });
  layerSpecs.push({ entries: smallChanges(), created_by: 'small changes, a whiteout, an opaque dir' });

  const layers: { diffId: string; size: number; file: string }[] = [];
  for (const [i, l] of layerSpecs.entries()) {
    const file = join(work, `layer${i}.tar`);
    layers.push({ ...(await writeLayer(file, l.entries)), file });
  }
  rmSync(rootfs, { recursive: true, force: true });
  const diffIds = layers.map((l) => l.diffId);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: new Date(MTIME * 1000).toISOString(),
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: layerSpecs.map((l) => ({
        created: new Date(MTIME * 1000).toISOString(),
        created_by: l.created_by,
      })),
    }),
  );
  const configHex = createHash('sha256').update(config).digest('hex');
  const dirs = diffIds.map((d) => d.slice(7));
  const manifest = Buffer.from(
    JSON.stringify([
      { Config: `${configHex}.json`, RepoTags: [spec.tag], Layers: dirs.map((d) => `${d}/layer.tar`) },
    ]),
  );
  const [repo, tag] = spec.tag.split(':');
  const repositories = Buffer.from(JSON.stringify({ [repo]: { [tag]: dirs.at(-1) } }));
  // In lexical order, as docker save (≤ 24) wrote them.
  const outer: Entry[] = [fileEntry(`${configHex}.json`, config, config.length)];
  for (const [i, d] of [...dirs.entries()].sort((a, b) => a[1].localeCompare(b[1]))) {
    outer.push(dirEntry(d));
    outer.push(fileEntry(`${d}/layer.tar`, createReadStream(layers[i].file), layers[i].size));
  }
  outer.push(fileEntry('manifest.json', manifest, manifest.length));
  outer.push(fileEntry('repositories', repositories, repositories.length));
  const path = join(dir, 'archive.tar');
  await pipeline(Readable.from(writeTar(outer)), createWriteStream(path));
  rmSync(work, { recursive: true, force: true });
  return { path, size: statSync(path).size, id: `sha256:${configHex}`, tag: spec.tag, diffIds };
}

// ---- the daemons ----------------------------------------------------------------------------

/** Runs the docker CLI against `host` without blocking the event loop (berthd logs to our pipes). */
export function docker(
  host: string,
  args: string[],
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: join(tmpdir(), 'berth-bench-docker-config') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? 128, stdout, stderr }));
  });
}

export async function mustDocker(host: string, args: string[]): Promise<string> {
  const r = await docker(host, args);
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} (${host}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

// ---- storage checks -------------------------------------------------------------------------

/** berthd's committed snapshots (key -> directory id) from its overlay metadata. */
function berthSnapshots(d: Daemon): Map<string, number> {
  const file = join(d.dataRoot, 'overlay', 'metadata.json');
  if (!existsSync(file)) return new Map();
  const meta = JSON.parse(readFileSync(file, 'utf8')) as { snapshots: Record<string, { id: number }> };
  return new Map(Object.entries(meta.snapshots).map(([k, v]) => [k, v.id]));
}

/** dockerd's overlay2 layer directories. */
function dockerLayerDirs(dataRoot: string): Set<string> {
  const dir = join(dataRoot, 'overlay2');
  return new Set(existsSync(dir) ? readdirSync(dir).filter((n) => n !== 'l') : []);
}

// ---- the benchmark --------------------------------------------------------------------------

interface Target {
  name: string;
  host: () => string;
  /** Storage directories of the image's layers now (to see that each load makes new ones). */
  layers: () => Set<string>;
  /** After `rmi`: makes sure the next load unpacks every layer again. */
  reset: () => Promise<void>;
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 5);
  const settle = Number(process.env.BENCH_SETTLE ?? 65);
  ensureDockerd();
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-load-'));
  const notes: string[] = [];
  let berthd: Daemon | undefined;
  let dockerd: RefDaemon | undefined;
  const samples = new Map<string, number[]>();
  let archive: BenchArchive | undefined;
  try {
    archive = await buildArchive(join(dir, 'archive'), { tag: 'bench/load:latest' });
    const warm = await buildArchive(join(dir, 'warm'), {
      tag: 'bench/warm:latest',
      bigBytes: MiB,
      small: true,
    });
    const berthDir = join(dir, 'berthd');
    mkdirSync(berthDir);
    const startBerthd = async () => {
      const d = await startDaemon(['--storage-driver', 'overlay'], berthDir);
      // Warm berthd's code paths (a new daemon runs cold) with a small image of other layers.
      await mustDocker(d.host, ['load', '-i', warm.path]);
      await mustDocker(d.host, ['rmi', warm.tag]);
      return d;
    };
    berthd = await startBerthd();
    mkdirSync(join(dir, 'dockerd')); // startDockerd opens its log there
    dockerd = await startDockerd(join(dir, 'dockerd'));
    const b = berthd;
    const targets: Target[] = [
      {
        name: 'berthd (overlay)',
        host: () => berthd!.host,
        layers: () => {
          // Directory ids restart at 1 when the overlay dir is removed: add the birth time.
          const snaps = berthSnapshots(berthd!);
          return new Set(
            archiveChains(archive!).map((c) => {
              const id = snaps.get(c);
              if (id === undefined) return 'missing';
              const st = statSync(join(b.dataRoot, 'overlay', 'snapshots', String(id)), { bigint: true });
              return `${id}@${st.birthtimeNs}`;
            }),
          );
        },
        reset: async () => {
          const left = archiveChains(archive!).filter((c) => berthSnapshots(berthd!).has(c));
          if (left.length === 0) return;
          // berthd's rmi drops the image and its blobs but keeps the layers' snapshots, and a
          // load unpacks over a kept snapshot only into a temp dir it then throws away. So that
          // every run stores fresh layers, as dockerd does, remove them with berthd stopped.
          const note =
            'berthd `rmi` left the layer snapshots in place; between runs the bench stops berthd, removes its overlay directory (no image uses it) and restarts it (untimed)';
          if (!notes.includes(note)) notes.push(note);
          await berthd!.stop();
          removeTree(join(b.dataRoot, 'overlay'));
          berthd = await startBerthd();
        },
      },
      {
        name: 'dockerd 20.10 (overlay2)',
        host: () => dockerd!.host,
        layers: () => dockerLayerDirs(dockerd!.dataRoot),
        reset: async () => {
          const left = dockerLayerDirs(dockerd!.dataRoot);
          if (left.size > 0)
            throw new Error(`dockerd kept layer directories after rmi: ${[...left].join(' ')}`);
        },
      },
    ];
    for (const t of targets) samples.set(t.name, []);
    const seen = new Map<string, Set<string>>(targets.map((t) => [t.name, new Set()]));
    const once = async (t: Target, record: boolean) => {
      spawnSync('sync');
      const t0 = process.hrtime.bigint();
      await mustDocker(t.host(), ['load', '-i', archive!.path]);
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      const id = (await mustDocker(t.host(), ['image', 'inspect', '-f', '{{.Id}}', archive!.tag])).trim();
      if (id !== archive!.id) throw new Error(`${t.name}: loaded ${id}, expected ${archive!.id}`);
      const now = t.layers();
      if (now.has('missing') || now.size < archive!.diffIds.length)
        throw new Error(
          `${t.name}: expected ${archive!.diffIds.length} layer dirs, found ${[...now].join(' ')}`,
        );
      for (const l of now)
        if (seen.get(t.name)!.has(l)) throw new Error(`${t.name}: layer dir ${l} was not made by this load`);
      for (const l of now) seen.get(t.name)!.add(l);
      await mustDocker(t.host(), ['rmi', archive!.tag]);
      await t.reset();
      spawnSync('sync');
      await new Promise((r) => setTimeout(r, settle * 1000));
      if (record) samples.get(t.name)!.push(secs);
      process.stderr.write(`${record ? '' : 'warm-up '}${t.name}: ${secs.toFixed(2)} s\n`);
    };
    for (const t of targets) await once(t, false);
    for (let i = 0; i < runs; i++) for (const t of targets) await once(t, true);
  } finally {
    await berthd?.stop();
    await dockerd?.stop();
    removeTree(dir);
    rmSync(join(tmpdir(), 'berth-bench-docker-config'), { recursive: true, force: true });
  }

  const ref = summary([...samples.values()][1]);
  const mb = (archive!.size / 1e6).toFixed(0);
  console.log(
    `docker load -i of a ${mb} MB, ${archive!.diffIds.length}-layer docker-archive (uncompressed layers), ${runs} interleaved runs each, rmi + sync + ${settle} s between runs`,
  );
  console.log(`docker CLI ${spawnSync('docker', ['--version'], { encoding: 'utf8' }).stdout.trim()}\n`);
  console.log('| daemon | median s | p90 s | vs dockerd |');
  console.log('|---|---:|---:|---:|');
  for (const [name, s] of samples) {
    const { median, p90 } = summary(s);
    console.log(
      `| ${name} | ${median.toFixed(2)} | ${p90.toFixed(2)} | ${(median / ref.median).toFixed(2)}× |`,
    );
  }
  for (const n of notes) console.log(`\nNote: ${n}.`);
}

/** The ChainIDs of the archive's layers. */
function archiveChains(a: BenchArchive): string[] {
  const out: string[] = [];
  for (const d of a.diffIds) {
    const prev = out.at(-1);
    out.push(prev ? `sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}` : d);
  }
  return out;
}

if (import.meta.main) await main();
