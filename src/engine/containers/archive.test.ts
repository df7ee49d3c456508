// archive.ts: dockerd's path rules and stat encoding as data; resolution inside a root against
// hostile symlinks (absolute, relative, chains, loops) and against a directory swapped for a
// symlink after it was resolved; tars written from descriptors; uploads prepared and extracted
// through applyLayer without leaving the root.

import assert from 'node:assert/strict';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { after, describe, test } from 'node:test';
import { dir, file, hardlink, layerTar, symlink } from '../../../test/fixtures/layers.ts';
import { applyLayer } from '../../storage/apply.ts';
import { readTar } from '../../storage/tar/reader.ts';
import { writeTar } from '../../storage/tar/writer.ts';
import {
  containerPath,
  encodePathStat,
  FsRoot,
  fdPath,
  goFileMode,
  goTime,
  tarOf,
  uploadEntries,
} from './archive.ts';

const scratch = mkdtempSync(join(tmpdir(), 'berth-archive-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;

/** A container-like root: /etc/passwd, /d/f, symlinks that try to leave it. */
function makeRoot(): string {
  const root = join(scratch, `root${n++}`);
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'd/sub'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1::/:/bin/false\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\ndaemon:x:1:\n');
  writeFileSync(join(root, 'd/f'), 'hi\n');
  writeFileSync(join(root, 'd/sub/g'), 'g\n');
  symlinkSync('/', join(root, 'abs-root'));
  symlinkSync('../../../../../../../etc', join(root, 'd/rel-etc'));
  symlinkSync('/etc/shadow', join(root, 'd/shadow'));
  symlinkSync('sub', join(root, 'd/reldir'));
  symlinkSync('loop2', join(root, 'loop1'));
  symlinkSync('loop1', join(root, 'loop2'));
  return root;
}

async function names(tar: AsyncIterable<Buffer>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readTar(tar)) out.push(e.type === 'symlink' ? `${e.name} -> ${e.linkname}` : e.name);
  return out;
}

describe('containerPath: dockerd PreserveTrailingDotOrSeparator(filepath.Join("/", p), p)', () => {
  const cases: [string, string, string, boolean][] = [
    ['/etc/passwd', '/etc/passwd', 'passwd', false],
    ['etc/passwd', '/etc/passwd', 'passwd', false],
    ['/etc/', '/etc/', 'etc', true],
    ['/etc/.', '/etc/.', '.', true],
    ['/etc/./', '/etc/./', '.', true],
    ['.', '/.', '.', true],
    ['/', '/', '/', true],
    ['/../../etc/../d/reldir', '/d/reldir', 'reldir', false],
    ['/d/reldir/', '/d/reldir/', 'reldir', true],
    ['//d//f', '/d/f', 'f', false],
  ];
  for (const [input, abs, name, follow] of cases) {
    test(JSON.stringify(input), () => assert.deepEqual(containerPath(input), { abs, name, follow }));
  }
  test('an empty path is refused', () => assert.throws(() => containerPath(''), /path cannot be empty/));
});

test('goFileMode: Go os.FileMode bits as dockerd sends them', () => {
  assert.equal(goFileMode(0o100644), 0o644);
  assert.equal(goFileMode(0o040755), 2147484141); // seen from dockerd 20.10 for a 0755 directory
  assert.equal(goFileMode(0o120777), 134218239); // a symlink
  assert.equal(goFileMode(0o041777), 2 ** 31 + 2 ** 20 + 0o777); // sticky /tmp
  assert.equal(goFileMode(0o104755), 2 ** 23 + 0o755); // setuid
  assert.equal(goFileMode(0o020666), 2 ** 26 + 2 ** 21 + 0o666); // a character device
  assert.equal(goFileMode(0o010644), 2 ** 25 + 0o644); // a fifo
});

test('goTime: RFC 3339 with the fraction Go writes', () => {
  assert.equal(goTime(1_795_423_940_000_000_000n), '2026-11-23T08:52:20Z');
  assert.equal(goTime(1_795_423_941_615_464_171n), '2026-11-23T08:52:21.615464171Z');
  assert.equal(goTime(1_795_423_941_500_000_000n), '2026-11-23T08:52:21.5Z');
});

test('encodePathStat: base64 of the JSON, fields in dockerd order', () => {
  const stat = { name: 'f', size: 3, mode: 420, mtime: '2026-11-23T08:32:21.611464171Z', linkTarget: '' };
  assert.equal(
    encodePathStat(stat),
    'eyJuYW1lIjoiZiIsInNpemUiOjMsIm1vZGUiOjQyMCwibXRpbWUiOiIyMDI2LTExLTIzVDA4OjMyOjIxLjYxMTQ2NDE3MVoiLCJsaW5rVGFyZ2V0IjoiIn0=',
  );
});

describe('FsRoot: resolution never leaves the root', () => {
  test('absolute and relative symlinks resolve from the root', () => {
    const root = FsRoot.open(makeRoot());
    try {
      const r = root.resolve('/abs-root/etc/passwd', false);
      assert.equal(r.path, '/etc/passwd');
      assert.match(readFileSync(fdPath(r.fd), 'utf8'), /^root:x:0:0/);
      r.close();
      const rel = root.resolve('/d/rel-etc/passwd', false);
      assert.equal(rel.path, '/etc/passwd');
      rel.close();
      assert.equal(root.realPath('/d/rel-etc'), '/etc');
      assert.equal(root.realPath('/abs-root/../../..'), '/');
    } finally {
      root.close();
    }
  });

  test('the last component is followed only when asked', () => {
    const root = FsRoot.open(makeRoot());
    try {
      const link = root.resolve('/d/reldir', false);
      assert.ok(link.st.isSymbolicLink());
      link.close();
      const target = root.resolve('/d/reldir', true);
      assert.ok(target.st.isDirectory());
      assert.equal(target.path, '/d/sub');
      target.close();
    } finally {
      root.close();
    }
  });

  test("a dangling link to /etc/shadow is the container's, which does not exist", () => {
    const root = FsRoot.open(makeRoot());
    try {
      assert.equal(root.realPath('/d/shadow'), '/etc/shadow');
      assert.throws(() => root.resolve('/d/shadow', true), { name: 'BerthError', message: /no such file/ });
      assert.equal(root.readFile('/d/shadow'), undefined);
    } finally {
      root.close();
    }
  });

  test('loops and files on the way are errors', () => {
    const root = FsRoot.open(makeRoot());
    try {
      assert.throws(() => root.resolve('/loop1', true), /too many levels of symbolic links/);
      assert.throws(() => root.resolve('/d/f/x', false), /not a directory/);
      assert.throws(() => root.resolve('/nope/x', false), /no such file/);
    } finally {
      root.close();
    }
  });

  test('a directory swapped for a symlink after resolution: reads stay on the directory opened', async () => {
    const dirPath = makeRoot();
    const root = FsRoot.open(dirPath);
    try {
      const r = root.resolve('/d', false);
      // what a hostile container would do between the lookup and the read (CVE-2018-15664)
      renameSync(join(dirPath, 'd'), join(dirPath, 'd.old'));
      symlinkSync('/etc', join(dirPath, 'd'));
      const listed = await names(tarOf(r, 'd'));
      r.close();
      assert.ok(listed.includes('d/f'), listed.join(' '));
      assert.ok(!listed.some((x) => x.includes('passwd')), listed.join(' '));
    } finally {
      root.close();
    }
  });
});

describe('tarOf: entries named as dockerd names them', () => {
  test('a directory, its contents (symlinks not followed), "." and "/"', async () => {
    const root = FsRoot.open(makeRoot());
    try {
      const d = root.resolve('/d', false);
      assert.deepEqual(await names(tarOf(d, 'd')), [
        'd/',
        'd/f',
        'd/rel-etc -> ../../../../../../../etc',
        'd/reldir -> sub',
        'd/shadow -> /etc/shadow',
        'd/sub/',
        'd/sub/g',
      ]);
      d.close();
      const dot = root.resolve('/d/sub', true);
      assert.deepEqual(await names(tarOf(dot, '.')), ['./', './g']);
      dot.close();
      const top = root.resolve('/', true);
      const all = await names(tarOf(top, '/'));
      assert.equal(all[0], '/');
      assert.ok(all.includes('/etc/passwd'));
      assert.deepEqual(
        await names(tarOf(top, '')),
        all.slice(1).map((x) => x.slice(1)),
      );
      top.close();
    } finally {
      root.close();
    }
  });

  test('a file with its metadata; a second name of it is a hard link', async () => {
    const dirPath = makeRoot();
    const { linkSync, chownSync, chmodSync } = await import('node:fs');
    linkSync(join(dirPath, 'd/f'), join(dirPath, 'd/f2'));
    chownSync(join(dirPath, 'd/f'), 1234, 5678);
    chmodSync(join(dirPath, 'd/f'), 0o640);
    const root = FsRoot.open(dirPath);
    try {
      const d = root.resolve('/d', false);
      const entries = [];
      for await (const e of readTar(tarOf(d, 'd'))) {
        const body = await buffer(e.body);
        entries.push({
          name: e.name,
          type: e.type,
          mode: e.mode,
          uid: e.uid,
          gid: e.gid,
          link: e.linkname,
          body,
        });
      }
      d.close();
      const f = entries.find((e) => e.name === 'd/f')!;
      assert.deepEqual(
        [f.type, f.mode, f.uid, f.gid, f.body.toString()],
        ['file', 0o640, 1234, 5678, 'hi\n'],
      );
      const f2 = entries.find((e) => e.name === 'd/f2')!;
      assert.deepEqual([f2.type, f2.link], ['hardlink', 'd/f']);
    } finally {
      root.close();
    }
  });
});

describe('uploads', () => {
  const prepare = async (
    tar: Buffer,
    dest: string,
    opts = {},
    existing: (rel: string) => 'dir' | 'other' | undefined = () => undefined,
  ) => {
    const out = [];
    for await (const e of uploadEntries(
      readTar(tar),
      dest,
      { noOverwriteDirNonDir: false, ...opts },
      existing,
    ))
      out.push(e.type === 'hardlink' ? `${e.name} => ${e.linkname}` : `${e.name} ${e.uid}:${e.gid}`);
    return out;
  };

  test('names move under the destination; its own entry is dropped; owners kept or replaced', async () => {
    const tar = await layerTar([
      dir('./'),
      dir('a/', { name: 'a/', uid: 7, gid: 8 }),
      file('/a/f', 'x', { uid: 7, gid: 8 }),
      hardlink('a/h', 'a/f'),
    ]);
    assert.deepEqual(await prepare(tar, '/tmp/x'), [
      'tmp/x/a/ 7:8',
      'tmp/x/a/f 7:8',
      'tmp/x/a/h => tmp/x/a/f',
    ]);
    assert.deepEqual(await prepare(tar, '/', { owner: { uid: 1, gid: 2 } }), [
      'a/ 1:2',
      'a/f 1:2',
      'a/h => a/f',
    ]);
  });

  test('escapes and whiteout names are refused', async () => {
    await assert.rejects(prepare(await layerTar([file('../x', 'x')]), '/tmp'), /escapes the layer root/);
    await assert.rejects(
      prepare(await layerTar([hardlink('h', '../../etc/shadow')]), '/tmp'),
      /escapes the layer root/,
    );
    await assert.rejects(prepare(await layerTar([file('a/.wh.b', '')]), '/tmp'), /reserved/);
  });

  test('noOverwriteDirNonDir: dockerd messages', async () => {
    const existing = (rel: string) => (rel === 'd/f' ? 'other' : rel === 'd/sub' ? 'dir' : undefined);
    await assert.rejects(
      prepare(await layerTar([dir('f/')]), '/d', { noOverwriteDirNonDir: true }, existing),
      { message: 'cannot overwrite non-directory "/d/f" with directory "/d"' },
    );
    await assert.rejects(
      prepare(await layerTar([file('sub', 'x')]), '/d', { noOverwriteDirNonDir: true }, existing),
      { message: 'cannot overwrite directory "/d/sub" with non-directory "/d"' },
    );
    assert.deepEqual(await prepare(await layerTar([file('sub', 'x')]), '/d', {}, existing), ['d/sub 0:0']);
  });

  test('extraction into a root through its descriptor: symlinks resolve inside it', async () => {
    const dirPath = makeRoot();
    const root = FsRoot.open(dirPath);
    try {
      // /abs-root -> /: lands in this root's /etc
      const tar = await layerTar([file('abs-root/etc/one', '1')]);
      const entries = uploadEntries(readTar(tar), '/', { noOverwriteDirNonDir: true }, () => undefined);
      await applyLayer(fdPath(root.fd), writeTar(entries), { mode: 'vfs' });
      assert.equal(readFileSync(join(dirPath, 'etc/one'), 'utf8'), '1');
      assert.ok(lstatSync(join(dirPath, 'abs-root')).isSymbolicLink());
      assert.throws(() => lstatSync('/etc/one'));
      // /d/rel-etc -> ../../../../etc climbs above the root: applyLayer refuses it (the kernel
      // would stop at the root; stat and the CLI's PUT to the link's target do)
      const climbing = await layerTar([file('d/rel-etc/two', '2')]);
      await assert.rejects(
        applyLayer(
          fdPath(root.fd),
          writeTar(uploadEntries(readTar(climbing), '/', { noOverwriteDirNonDir: true }, () => undefined)),
          { mode: 'vfs' },
        ),
        /points outside the layer root/,
      );
      const bad = await layerTar([symlink('x', '/'), file('x/etc/three', '3')]);
      await applyLayer(
        fdPath(root.fd),
        writeTar(uploadEntries(readTar(bad), '/d', { noOverwriteDirNonDir: false }, () => undefined)),
        { mode: 'vfs' },
      );
      assert.equal(readFileSync(join(dirPath, 'etc/three'), 'utf8'), '3');
      assert.throws(() => lstatSync('/etc/three'));
    } finally {
      root.close();
    }
  });
});
