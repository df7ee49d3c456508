// Local images through berthd, with the real docker CLI and with berth: import, images, tag,
// inspect, history, save → load round trip, rmi, prune, system df, image events, and a hostile
// archive refused with nothing stored.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeBusyboxRootfs } from '../fixtures/busybox.ts';
import { berth, cleanup, type Daemon, docker, startDaemon } from './daemon-helpers.ts';

describe('images', { concurrency: false }, () => {
  let d: Daemon;
  let rootfsTar: string;
  let id: string;
  before(async () => {
    d = await startDaemon();
    makeBusyboxRootfs(join(d.dir, 'rootfs'));
    rootfsTar = join(d.dir, 'rootfs.tar');
    execFileSync('tar', ['-C', join(d.dir, 'rootfs'), '-cf', rootfsTar, '.']);
  });
  after(async () => {
    await cleanup(d);
  });

  test('docker import makes a one-layer image with the --change config', () => {
    const res = docker(d, ['import', '-c', 'CMD ["sh"]', '-c', 'ENV A=1', rootfsTar, 'busybox:latest']);
    assert.equal(res.status, 0, res.stderr);
    id = res.stdout.trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const images = docker(d, ['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}']);
    assert.equal(
      images.stdout.trim(),
      `busybox:latest ${id.slice(7, 19)} ${images.stdout.trim().split(' ')[2]}`,
    );
    assert.match(images.stdout, /MB\n$/);
    const cfg = docker(d, [
      'inspect',
      '-f',
      '{{json .Config.Cmd}} {{.Config.Env}} {{len .RootFS.Layers}}',
      'busybox',
    ]);
    assert.equal(cfg.stdout.trim(), '["sh"] [A=1] 1');
    const driver = docker(d, [
      'inspect',
      '-f',
      '{{.GraphDriver.Name}} {{.GraphDriver.Data.UpperDir}}',
      'busybox',
    ]);
    assert.match(driver.stdout.trim(), new RegExp(`^overlay2 ${d.dataRoot}/overlay/snapshots/\\d+/fs$`));
  });

  test('tag, history and inspect by name, short id and digest', () => {
    assert.equal(docker(d, ['tag', 'busybox', 'localhost:5000/team/box:v1']).status, 0);
    const byShort = docker(d, ['inspect', '-f', '{{.Id}}', id.slice(7, 19)]);
    assert.equal(byShort.stdout.trim(), id);
    const tags = docker(d, ['inspect', '-f', '{{range .RepoTags}}{{.}} {{end}}', 'busybox']);
    assert.equal(tags.stdout.trim(), 'busybox:latest localhost:5000/team/box:v1');
    const history = docker(d, ['history', '--format', '{{.Comment}}', 'busybox']);
    assert.equal(history.stdout.trim(), 'Imported from -');
    const bHistory = berth(d.host, ['history', 'busybox']);
    assert.match(bHistory.stdout, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT\n/);
  });

  test('save then load gives the same image ID, with the docker CLI and with berth', () => {
    const archive = join(d.dir, 'saved.tar');
    assert.equal(docker(d, ['save', '-o', archive, 'busybox', 'localhost:5000/team/box:v1']).status, 0);
    const rmi = docker(d, ['rmi', 'busybox', 'localhost:5000/team/box:v1']);
    assert.equal(rmi.status, 0, rmi.stderr);
    assert.match(
      rmi.stdout,
      /Untagged: busybox:latest\nUntagged: localhost:5000\/team\/box:v1\nDeleted: sha256:/,
    );
    assert.equal(docker(d, ['images', '-q']).stdout, '');
    const load = docker(d, ['load', '-i', archive]);
    assert.equal(load.status, 0, load.stderr);
    assert.match(load.stdout, /Loaded image: busybox:latest/);
    assert.equal(docker(d, ['inspect', '-f', '{{.Id}}', 'localhost:5000/team/box:v1']).stdout.trim(), id);
    const viaBerth = berth(d.host, ['save', '-o', join(d.dir, 'b.tar'), 'busybox']);
    assert.equal(viaBerth.status, 0, viaBerth.stderr);
    const bLoad = berth(d.host, ['load', '-i', join(d.dir, 'b.tar')]);
    assert.match(bLoad.stdout, /Loaded image: busybox:latest/);
  });

  test('rmi untags before it deletes, and refuses a missing image', () => {
    assert.equal(docker(d, ['tag', 'busybox', 'extra:1']).status, 0);
    const snapshots = () => readdirSync(join(d.dataRoot, 'overlay', 'snapshots')).length;
    const before = snapshots();
    const other = join(d.dir, 'other');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'only-here'), 'a layer no other image has\n');
    execFileSync('tar', ['-C', other, '-cf', join(d.dir, 'other.tar'), '.']);
    assert.equal(docker(d, ['import', join(d.dir, 'other.tar'), 'gone:1']).status, 0);
    assert.equal(snapshots(), before + 1);
    assert.equal(docker(d, ['rmi', 'gone:1']).status, 0);
    assert.equal(snapshots(), before, 'the layers of a deleted image are removed from storage');
    const untag = docker(d, ['rmi', 'extra:1']);
    assert.equal(untag.stdout.trim(), 'Untagged: extra:1');
    const missing = docker(d, ['rmi', 'nope']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /Error response from daemon: No such image: nope:latest/);
    const bMissing = berth(d.host, ['rmi', 'nope']);
    assert.match(bMissing.stderr, /Error response from daemon: No such image: nope:latest/);
  });

  test('image prune removes dangling images; system df counts them', () => {
    const again = docker(d, ['import', rootfsTar, 'busybox:latest']);
    assert.equal(again.status, 0, again.stderr);
    const dangling = docker(d, ['images', '-f', 'dangling=true', '-q']);
    assert.equal(dangling.stdout.trim(), '', 'the old image keeps its other tag');
    assert.equal(docker(d, ['rmi', 'localhost:5000/team/box:v1']).status, 0);
    const df = docker(d, ['system', 'df', '--format', '{{.Type}} {{.TotalCount}}']);
    assert.match(df.stdout, /^Images 1$/m);
    const prune = docker(d, ['image', 'prune', '-f']);
    assert.equal(prune.status, 0, prune.stderr);
    assert.match(prune.stdout, /Total reclaimed space/);
  });

  test('system prune with the docker CLI and with berth', () => {
    assert.equal(docker(d, ['tag', 'busybox', 'keep:1']).status, 0);
    const dockerPrune = docker(d, ['system', 'prune', '-f']);
    assert.equal(dockerPrune.status, 0, dockerPrune.stderr);
    assert.match(dockerPrune.stdout, /Total reclaimed space: /);
    const berthPrune = berth(d.host, ['system', 'prune', '-f']);
    assert.equal(berthPrune.status, 0, berthPrune.stderr);
    assert.match(berthPrune.stdout, /Total reclaimed space: 0B/);
    assert.equal(docker(d, ['inspect', '-f', '{{.Id}}', 'keep:1']).status, 0, 'tagged images stay');
    const inspect = berth(d.host, ['inspect', '-f', '{{.Id}}', 'keep:1']);
    assert.match(inspect.stdout, /^sha256:/);
    const none = berth(d.host, ['inspect', 'no-such-thing']);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /Error: No such object: no-such-thing/);
  });

  test('image events: import, tag, untag, delete, load, save', () => {
    const until = String(Math.ceil(Date.now() / 1000) + 1);
    const ev = docker(d, [
      'events',
      '--since',
      '0',
      '--until',
      until,
      '--filter',
      'type=image',
      '--format',
      '{{.Action}}',
    ]);
    const actions = new Set(ev.stdout.trim().split('\n'));
    for (const a of ['import', 'tag', 'untag', 'delete', 'load', 'save'])
      assert.ok(actions.has(a), `${a} in ${[...actions]}`);
  });

  test('a hostile archive is refused, naming the entry, and nothing is stored', () => {
    const dir = join(d.dir, 'hostile');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'manifest.json'), '[]');
    const archive = join(d.dir, 'hostile.tar');
    execFileSync('tar', [
      '-C',
      dir,
      '-cf',
      archive,
      '--transform',
      's,manifest.json,../../escape.json,',
      'manifest.json',
    ]);
    const before = docker(d, ['images', '-q', '-a']).stdout;
    const res = docker(d, ['load', '-i', archive]);
    assert.notEqual(res.status, 0);
    assert.match(res.stderr + res.stdout, /\.\.\/\.\.\/escape\.json/);
    assert.equal(docker(d, ['images', '-q', '-a']).stdout, before);
  });
});
