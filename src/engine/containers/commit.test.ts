// commit.ts, the decisions as data: the reference, the new config (request or container config,
// `--change` instructions, dockerd's merge) and the image config with its history entry.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageConfig } from '../../image/types.ts';
import { commitConfig, commitImageConfig, commitReference } from './commit.ts';
import type { ContainerRecord } from './record.ts';

test('commitReference: none without a repository; latest by default; no digests', () => {
  assert.equal(commitReference(undefined, 'x'), undefined);
  assert.equal(commitReference('', ''), undefined);
  const r = commitReference('mine', undefined)!;
  assert.equal(r.tag, 'latest');
  assert.equal(commitReference('reg.example:5000/a/b', 'v1')!.tag, 'v1');
  assert.throws(() => commitReference(`a@sha256:${'0'.repeat(64)}`), /cannot commit to digest reference/);
  assert.throws(() => commitReference('UPPER'), /invalid reference format/);
});

const containerConfig = {
  Hostname: 'abc',
  Image: 'busybox',
  Env: ['PATH=/bin', 'A=1'],
  Cmd: ['sh', '-c', 'echo hi > /f'],
  Labels: { l: '1' },
  WorkingDir: '/w',
};

test('commitConfig: the container config, changes applied', () => {
  const c = commitConfig(containerConfig, ['CMD ["cat", "/f"]', 'ENV B=2', 'LABEL m=2'], containerConfig);
  assert.deepEqual(c.Cmd, ['cat', '/f']);
  assert.deepEqual(c.Env, ['PATH=/bin', 'A=1', 'B=2']);
  assert.deepEqual(c.Labels, { l: '1', m: '2' });
  assert.equal(c.WorkingDir, '/w');
  assert.equal(c.Hostname, 'abc');
});

test('commitConfig: a request config is merged with the container one as dockerd merges', () => {
  const c = commitConfig({ Env: ['A=9'], Entrypoint: ['/bin/x'] }, [], containerConfig);
  assert.deepEqual(c.Env, ['A=9', 'PATH=/bin']);
  assert.deepEqual(c.Entrypoint, ['/bin/x']);
  assert.equal(c.Cmd, null, "an entrypoint given drops the container's cmd");
  assert.equal(c.WorkingDir, '/w');
  assert.deepEqual(c.Labels, { l: '1' });
  assert.equal(c.Hostname, undefined);
  assert.throws(
    () => commitConfig(containerConfig, ['FROM x'], containerConfig),
    /from is not a valid change/,
  );
});

test('commitConfig: empty Env and Volumes are null, as dockerd writes them', () => {
  const c = commitConfig({ ...containerConfig, Env: [], Volumes: {} }, [], { ...containerConfig, Env: [] });
  assert.equal(c.Env, null);
  assert.equal(c.Volumes, null);
});

const parent: ImageConfig = {
  architecture: 'amd64',
  os: 'linux',
  config: { Cmd: ['sh'] },
  rootfs: { type: 'layers', diff_ids: ['sha256:aa'] },
  history: [{ created: '2020-01-01T00:00:00Z', comment: 'Imported from -' }],
};
const rec = { ID: 'c'.repeat(64), Config: containerConfig } as unknown as ContainerRecord;

test('commitImageConfig: one more layer and history entry', () => {
  const cfg = commitImageConfig({
    parent,
    config: { Cmd: ['cat', '/f'] },
    container: rec,
    diffId: 'sha256:bb',
    author: 'me',
    comment: 'msg',
    created: '2026-01-01T00:00:00Z',
  });
  assert.deepEqual(cfg.rootfs.diff_ids, ['sha256:aa', 'sha256:bb']);
  assert.deepEqual(cfg.history?.at(-1), {
    created: '2026-01-01T00:00:00Z',
    author: 'me',
    created_by: 'sh -c echo hi > /f',
    comment: 'msg',
  });
  assert.equal(cfg.history?.length, 2);
  assert.equal(cfg.author, 'me');
  assert.equal(cfg.comment, 'msg');
  assert.equal(cfg.container, rec.ID);
  assert.deepEqual(cfg.config?.Cmd, ['cat', '/f']);
  assert.equal(cfg.config?.Hostname, '');
  assert.equal(cfg.architecture, 'amd64');
});

test('commitImageConfig: no changes, no layer, an empty_layer history entry', () => {
  const cfg = commitImageConfig({ parent, config: {}, container: rec, created: '2026-01-01T00:00:00Z' });
  assert.deepEqual(cfg.rootfs.diff_ids, ['sha256:aa']);
  assert.deepEqual(cfg.history?.at(-1), {
    created: '2026-01-01T00:00:00Z',
    created_by: 'sh -c echo hi > /f',
    empty_layer: true,
  });
  assert.equal('author' in cfg, false);
});
