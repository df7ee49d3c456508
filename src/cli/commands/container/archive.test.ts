import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { header } from '../../../storage/tar/header.ts';
import { type ChunkSource, readTar } from '../../../storage/tar/reader.ts';
import { type TarInput, writeTar } from '../../../storage/tar/writer.ts';
import {
  type CopyInfo,
  getRebaseName,
  localSourceInfo,
  prepareArchiveCopy,
  preserveTrailingDotOrSeparator,
  rebaseEntries,
  splitPathDirEntry,
  tarResource,
  untar,
} from './archive.ts';
import { splitCpArg } from './cp.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-cp-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const info = (path: string, exists: boolean, isDir: boolean, rebaseName = ''): CopyInfo => ({
  path,
  exists,
  isDir,
  rebaseName,
});

async function names(source: ChunkSource): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readTar(source)) {
    out.push(e.type === 'symlink' ? `${e.name} -> ${e.linkname}` : e.name);
    for await (const _ of e.body) {
      // skip
    }
  }
  return out;
}

test('splitCpArg: container paths, local absolute and ./ paths', () => {
  assert.deepEqual(splitCpArg('web:/etc'), ['web', '/etc']);
  assert.deepEqual(splitCpArg('/abs:x'), ['', '/abs:x']);
  assert.deepEqual(splitCpArg('./file:name'), ['', './file:name']);
  assert.deepEqual(splitCpArg('file'), ['', 'file']);
  assert.deepEqual(splitCpArg('-'), ['', '-']);
});

test('path helpers keep what a trailing / or /. asks for', () => {
  assert.deepEqual(splitPathDirEntry('/a/b/'), ['/a', 'b']);
  assert.deepEqual(splitPathDirEntry('/a/b/.'), ['/a/b', '.']);
  assert.deepEqual(splitPathDirEntry('b'), ['.', 'b']);
  assert.deepEqual(splitPathDirEntry('/'), ['/', '/']);
  assert.equal(preserveTrailingDotOrSeparator('/x/a', 'a/.'), '/x/a/.');
  assert.equal(preserveTrailingDotOrSeparator('/x/a', 'a/'), '/x/a/');
  assert.deepEqual(getRebaseName('/l/', '/target'), ['/target/', 'l']);
  assert.deepEqual(getRebaseName('/l', '/l'), ['/l', '']);
});

test("prepareArchiveCopy: docker's placement rules", () => {
  // into an existing directory: as is
  assert.deepEqual(prepareArchiveCopy(info('/s/f', true, false), info('/d', true, true)), { dstDir: '/d' });
  // a file over an existing file, or to a new name: renamed
  assert.deepEqual(prepareArchiveCopy(info('/s/f', true, false), info('/d/g', true, false)), {
    dstDir: '/d',
    rebase: ['f', 'g'],
  });
  assert.deepEqual(prepareArchiveCopy(info('/s/dir', true, true), info('/d/new', false, false)), {
    dstDir: '/d',
    rebase: ['dir', 'new'],
  });
  assert.deepEqual(prepareArchiveCopy(info('/s/l/', true, false, 'l'), info('/d/x', false, false)), {
    dstDir: '/d',
    rebase: ['l', 'x'],
  });
  assert.throws(() => prepareArchiveCopy(info('/s/dir', true, true), info('/d/f', true, false)), {
    message: 'cannot copy directory',
  });
  assert.throws(() => prepareArchiveCopy(info('/s/f', true, false), info('/d/new/', false, false)), {
    message: 'no such directory',
  });
});

test('tarResource and untar: a directory tree round trip, renamed on the way', async () => {
  const src = join(dir, 'src');
  mkdirSync(join(src, 'tree/sub'), { recursive: true });
  writeFileSync(join(src, 'tree/a'), 'A');
  writeFileSync(join(src, 'tree/sub/b'), 'B', { mode: 0o640 });
  symlinkSync('a', join(src, 'tree/l'));
  const tar = tarResource(localSourceInfo(join(src, 'tree'), false));
  const collected: Buffer[] = [];
  for await (const c of tar) collected.push(c);
  assert.deepEqual(await names([Buffer.concat(collected)]), [
    'tree/',
    'tree/a',
    'tree/l -> a',
    'tree/sub/',
    'tree/sub/b',
  ]);
  const dst = join(dir, 'dst');
  mkdirSync(dst);
  await untar(rebaseEntries([Buffer.concat(collected)], 'tree', 'copy'), dst);
  assert.equal(readFileSync(join(dst, 'copy/a'), 'utf8'), 'A');
  assert.equal(readFileSync(join(dst, 'copy/sub/b'), 'utf8'), 'B');
  assert.equal(statSync(join(dst, 'copy/sub/b')).mode & 0o777, 0o640);
  assert.equal(readlinkSync(join(dst, 'copy/l')), 'a');
  const contents = tarResource(localSourceInfo(`${join(src, 'tree')}/.`, false));
  const again: Buffer[] = [];
  for await (const c of contents) again.push(c);
  assert.deepEqual(await names([Buffer.concat(again)]), ['./', './a', './l -> a', './sub/', './sub/b']);
});

async function tarOf(entries: TarInput[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of writeTar(entries)) chunks.push(c);
  return Buffer.concat(chunks);
}

test('untar refuses entries and links that would leave the target', async () => {
  const target = join(dir, 'target');
  mkdirSync(target);
  const outside = join(dir, 'outside');
  mkdirSync(outside);
  await assert.rejects(
    untar([await tarOf([{ ...header({ name: '../escape', size: 1 }), body: Buffer.from('x') }])], target),
    /breakout/,
  );
  assert.equal(existsSync(join(dir, 'escape')), false);
  await assert.rejects(
    untar([await tarOf([header({ name: 'up', type: 'symlink', linkname: '../outside' })])], target),
    /invalid symlink/,
  );
  // A symlink already in the target that leads out of it is not followed.
  symlinkSync(outside, join(target, 'out'));
  await assert.rejects(
    untar([await tarOf([{ ...header({ name: 'out/file', size: 1 }), body: Buffer.from('x') }])], target),
    /breakout/,
  );
  assert.equal(existsSync(join(outside, 'file')), false);
  await assert.rejects(
    untar([await tarOf([header({ name: 'h', type: 'hardlink', linkname: '../../etc/passwd' })])], target),
    /invalid hardlink/,
  );
});

test('untar does not replace a directory with a file', async () => {
  const target = join(dir, 'nooverwrite');
  mkdirSync(join(target, 'd'), { recursive: true });
  await assert.rejects(
    untar([await tarOf([{ ...header({ name: 'd', size: 1 }), body: Buffer.from('x') }])], target),
    /cannot overwrite directory/,
  );
});
