import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chainId, chainIds, sha256, shortId, validateDigest } from './digest.ts';
import {
  familiarMatch,
  familiarName,
  familiarString,
  formatReference,
  normalize,
  parseReference,
  pathMatch,
} from './reference.ts';

const D = `sha256:${'a'.repeat(64)}`;

// input → [full normalised form, familiar string]
const GOOD: [string, string, string][] = [
  ['busybox', 'docker.io/library/busybox', 'busybox'],
  ['busybox:latest', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['busybox:1.36.1-musl', 'docker.io/library/busybox:1.36.1-musl', 'busybox:1.36.1-musl'],
  ['user/repo', 'docker.io/user/repo', 'user/repo'],
  ['user/repo:v1', 'docker.io/user/repo:v1', 'user/repo:v1'],
  ['docker.io/busybox', 'docker.io/library/busybox', 'busybox'],
  ['index.docker.io/library/busybox:1', 'docker.io/library/busybox:1', 'busybox:1'],
  ['docker.io/library/a/b', 'docker.io/library/a/b', 'library/a/b'],
  ['host:5000/a/b:tag', 'host:5000/a/b:tag', 'host:5000/a/b:tag'],
  ['localhost/x', 'localhost/x', 'localhost/x'],
  ['localhost:5000/x:1', 'localhost:5000/x:1', 'localhost:5000/x:1'],
  ['example.com/a', 'example.com/a', 'example.com/a'],
  ['Example/a', 'Example/a', 'Example/a'],
  ['[::1]:5000/a:b', '[::1]:5000/a:b', '[::1]:5000/a:b'],
  [`host/a@${D}`, `docker.io/host/a@${D}`, `host/a@${D}`],
  [`reg.local/a@${D}`, `reg.local/a@${D}`, `reg.local/a@${D}`],
  [`busybox:1@${D}`, `docker.io/library/busybox:1@${D}`, `busybox:1@${D}`],
  [`busybox@${D}`, `docker.io/library/busybox@${D}`, `busybox@${D}`],
  ['x/a__b.c-d---e_f', 'docker.io/x/a__b.c-d---e_f', 'x/a__b.c-d---e_f'],
  [`x:${'t'.repeat(128)}`, `docker.io/library/x:${'t'.repeat(128)}`, `x:${'t'.repeat(128)}`],
  ['x:_tag.A-1', 'docker.io/library/x:_tag.A-1', 'x:_tag.A-1'],
];

const BAD: [string, string][] = [
  ['', 'invalid reference format'],
  ['Busybox', 'invalid reference format: repository name (library/Busybox) must be lowercase'],
  ['user/Repo', 'invalid reference format: repository name (user/Repo) must be lowercase'],
  ['host:5000/A', 'invalid reference format: repository name (A) must be lowercase'],
  ['busybox:bad!tag', 'invalid reference format'],
  ['busybox:.tag', 'invalid reference format'],
  [`x:${'t'.repeat(129)}`, 'invalid reference format'],
  ['a//b', 'invalid reference format'],
  ['a/', 'invalid reference format'],
  ['-a', 'invalid reference format'],
  ['a-', 'invalid reference format'],
  ['a..b', 'invalid reference format'],
  ['busybox@sha256:abc', 'invalid reference format'],
  [`busybox@sha256:${'A'.repeat(64)}`, 'invalid checksum digest format'],
  [`busybox@sha512:${'a'.repeat(64)}`, 'invalid checksum digest length'],
  ['a'.repeat(64), `invalid repository name (${'a'.repeat(64)}), cannot specify 64-byte hexadecimal strings`],
  [`x/${'a'.repeat(250)}`, 'invalid reference format: repository name must not be more than 255 characters'],
];

test('references: normalised and familiar forms', () => {
  for (const [input, full, familiar] of GOOD) {
    const ref = parseReference(input);
    assert.equal(formatReference(ref), full, input);
    assert.equal(familiarString(ref), familiar, input);
  }
});

test('references: invalid ones fail in Docker words', () => {
  for (const [input, message] of BAD) {
    assert.throws(() => parseReference(input), { message, kind: 'InvalidArgument' } as object, input);
  }
});

test('references: normalize adds :latest only without tag or digest', () => {
  assert.equal(normalize('busybox'), 'docker.io/library/busybox:latest');
  assert.equal(normalize('busybox:1'), 'docker.io/library/busybox:1');
  assert.equal(normalize(`busybox@${D}`), `docker.io/library/busybox@${D}`);
  assert.equal(familiarName(parseReference('docker.io/library/busybox:latest')), 'busybox');
});

test('references: path.Match and FamiliarMatch', () => {
  assert.ok(pathMatch('busybox*', 'busybox:latest'));
  assert.ok(!pathMatch('*', 'user/repo'));
  assert.ok(pathMatch('*/*', 'user/repo'));
  assert.ok(pathMatch('b?sy[a-c]ox', 'busybox'));
  assert.ok(!pathMatch('b[!u]sybox', 'busybox'));
  assert.ok(pathMatch('a\\*', 'a*'));
  assert.ok(familiarMatch('busybox', parseReference('busybox:1')));
  assert.ok(familiarMatch('busybox:1', parseReference('busybox:1')));
  assert.ok(!familiarMatch('busybox:2', parseReference('busybox:1')));
  assert.ok(familiarMatch('localhost:5000/*', parseReference('localhost:5000/x:1')));
});

test('digests: ChainIDs per the OCI spec, short IDs, validation', () => {
  const a = sha256('a');
  const b = sha256('b');
  const c = sha256('c');
  assert.equal(chainId([a]), a);
  const ab = sha256(`${a} ${b}`);
  assert.equal(chainId([a, b]), ab);
  assert.equal(chainId([a, b, c]), sha256(`${ab} ${c}`));
  assert.deepEqual(chainIds([a, b, c]), [a, ab, sha256(`${ab} ${c}`)]);
  assert.equal(shortId(a), a.slice(7, 19));
  assert.equal(validateDigest(a), a);
  assert.throws(() => validateDigest('sha256:abc'), /invalid checksum digest length/);
  assert.throws(() => validateDigest('md5:abc'), /unsupported digest algorithm/);
  assert.throws(() => validateDigest(`sha256:${'Z'.repeat(64)}`), /invalid checksum digest format/);
});
