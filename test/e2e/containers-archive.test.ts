// docker cp, export, diff and commit through berthd with the real docker CLI: round trips both
// ways (files, directories, `dir/.`, symlinks kept or followed with -L, -a, `-` tar streams) on
// running and stopped containers; symlinks and `..` that aim at the host resolve inside the
// container; export; diff as dockerd lists it; commit (-c, -m, -a, pause) and the new image run.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chownSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanup, type Daemon, docker, importBusybox, startDaemon } from './daemon-helpers.ts';

/** docker with binary stdin/stdout (tar streams). */
function dockerRaw(d: Daemon, args: string[], input?: Buffer) {
  const res = spawnSync('docker', args, {
    input,
    timeout: 60_000,
    maxBuffer: 256 << 20,
    env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') },
  });
  return { status: res.status ?? 128, stdout: res.stdout, stderr: res.stderr.toString() };
}

const tarList = (tar: Buffer) =>
  execFileSync('tar', ['-tvf', '-'], { input: tar, encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.split(/\s+/).slice(5).join(' '));

describe('docker cp, export, diff and commit', { concurrency: false }, () => {
  let d: Daemon;
  let local: string;
  const ok = (args: string[], input?: string) => {
    const res = docker(d, args, input);
    assert.equal(res.status, 0, `docker ${args.join(' ')}: ${res.stderr}`);
    return res.stdout;
  };

  before(async () => {
    d = await startDaemon();
    importBusybox(d);
    local = join(d.dir, 'local');
    mkdirSync(join(local, 'dir/sub'), { recursive: true });
    writeFileSync(join(local, 'file'), 'hello\n');
    writeFileSync(join(local, 'dir/sub/deep'), 'deep\n');
    writeFileSync(join(local, 'dir/top'), 'top\n');
    chownSync(join(local, 'dir/top'), 1234, 5678);
    symlinkSync('file', join(local, 'link'));
    // a stopped container with files, symlinks and links that aim at the host
    ok([
      'run',
      '--name',
      'src',
      '--network',
      'none',
      'busybox',
      'sh',
      '-c',
      [
        'mkdir -p /d/sub && echo hi > /d/f && echo g > /d/sub/g',
        'ln -s /etc/passwd /d/lnk && ln -s sub /d/reldir',
        'echo container-secret > /etc/shadow',
        'mkdir /e && ln -s /etc/shadow /e/shadow && ln -s / /e/root && ln -s ../../../../../../../etc /e/up',
      ].join(' && '),
    ]);
    // and a running one
    ok(['run', '-d', '--name', 'live', '--network', 'none', '-u', 'daemon', 'busybox', 'sleep', '1000']);
  });

  after(async () => {
    const ids = docker(d, ['ps', '-aq']).stdout.split('\n').filter(Boolean);
    if (ids.length) docker(d, ['rm', '-f', ...ids]);
    await cleanup(d);
  });

  test('cp out of a stopped container: a file, a directory, dir/., a symlink kept or followed (-L)', () => {
    const out = join(d.dir, 'out1');
    mkdirSync(out);
    ok(['cp', 'src:/d/f', join(out, 'f')]);
    assert.equal(readFileSync(join(out, 'f'), 'utf8'), 'hi\n');
    ok(['cp', 'src:/d', out]);
    assert.equal(readFileSync(join(out, 'd/sub/g'), 'utf8'), 'g\n');
    assert.equal(readlinkSync(join(out, 'd/lnk')), '/etc/passwd');
    ok(['cp', 'src:/d/sub/.', join(out, 'contents')]);
    assert.equal(readFileSync(join(out, 'contents/g'), 'utf8'), 'g\n');
    ok(['cp', 'src:/d/lnk', join(out, 'lnk')]);
    assert.equal(readlinkSync(join(out, 'lnk')), '/etc/passwd');
    ok(['cp', '-L', 'src:/d/lnk', join(out, 'passwd')]);
    assert.equal(
      readFileSync(join(out, 'passwd'), 'utf8'),
      readFileSync(join(d.dir, 'rootfs/etc/passwd'), 'utf8'),
    );
    ok(['cp', 'src:/d/reldir/', join(out, 'reldir')]);
    assert.equal(readFileSync(join(out, 'reldir/g'), 'utf8'), 'g\n');
  });

  test('cp out to -: a tar stream with the top entry named as dockerd names it', () => {
    const res = dockerRaw(d, ['cp', 'src:/d/sub', '-']);
    assert.equal(res.status, 0, res.stderr);
    assert.deepEqual(tarList(res.stdout), ['sub/', 'sub/g']);
    const missing = docker(d, ['cp', 'src:/nonexistent', '-']);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /Could not find the file \/nonexistent in container src/);
  });

  test('symlinks and .. that aim at the host resolve inside the container', () => {
    const out = join(d.dir, 'out2');
    mkdirSync(out);
    ok(['cp', '-L', 'src:/e/shadow', join(out, 'shadow')]);
    assert.equal(readFileSync(join(out, 'shadow'), 'utf8'), 'container-secret\n');
    ok(['cp', 'src:/e/root/etc/shadow', join(out, 'shadow2')]);
    assert.equal(readFileSync(join(out, 'shadow2'), 'utf8'), 'container-secret\n');
    ok(['cp', 'src:/e/up/shadow', join(out, 'shadow3')]);
    assert.equal(readFileSync(join(out, 'shadow3'), 'utf8'), 'container-secret\n');
    ok(['cp', 'src:/../../../../etc/shadow', join(out, 'shadow4')]);
    assert.equal(readFileSync(join(out, 'shadow4'), 'utf8'), 'container-secret\n');
    // writes through them land in the container too
    const marker = `berth-cp-escape-${process.pid}`;
    writeFileSync(join(local, marker), 'x');
    ok(['cp', join(local, marker), 'src:/e/root/tmp/']);
    ok(['cp', join(local, marker), 'src:/e/up/']);
    assert.throws(() => lstatSync(join('/tmp', marker)));
    assert.throws(() => lstatSync(join('/etc', marker)));
    const back = dockerRaw(d, ['cp', `src:/tmp/${marker}`, '-']);
    assert.equal(back.status, 0, back.stderr);
    const etc = dockerRaw(d, ['cp', `src:/etc/${marker}`, '-']);
    assert.equal(etc.status, 0, etc.stderr);
  });

  test('cp in, stopped and running: a file, a directory, a symlink; owners kept, or the user with -a', () => {
    ok(['cp', join(local, 'file'), 'src:/tmp/']);
    ok(['cp', join(local, 'dir'), 'src:/tmp/newdir']);
    ok(['cp', join(local, 'link'), 'src:/tmp/']);
    const listing = tarList(dockerRaw(d, ['cp', 'src:/tmp', '-']).stdout);
    for (const name of [
      'tmp/file',
      'tmp/newdir/',
      'tmp/newdir/sub/deep',
      'tmp/newdir/top',
      'tmp/link -> file',
    ])
      assert.ok(listing.includes(name), `${name} not in ${listing.join(', ')}`);

    ok(['cp', join(local, 'dir'), 'live:/tmp/plain']);
    ok(['cp', '-a', join(local, 'dir'), 'live:/tmp/archive']);
    assert.equal(ok(['exec', 'live', 'stat', '-c', '%u:%g', '/tmp/plain/top']).trim(), '1234:5678');
    assert.equal(ok(['exec', 'live', 'stat', '-c', '%u:%g', '/tmp/archive/top']).trim(), '1:1');
    assert.equal(ok(['exec', 'live', 'cat', '/tmp/archive/sub/deep']), 'deep\n');
    ok(['cp', join(local, 'file'), 'live:/tmp/renamed']);
    assert.equal(ok(['exec', 'live', 'cat', '/tmp/renamed']), 'hello\n');
    const state = ok(['inspect', '-f', '{{.State.Status}}', 'live']).trim();
    assert.equal(state, 'running', 'the freeze during extraction is undone');
  });

  test('cp with a running container reaches its bind mounts and tmpfs; export leaves them out', () => {
    const vol = join(d.dir, 'vol');
    mkdirSync(vol);
    writeFileSync(join(vol, 'from-host'), 'host side\n');
    ok([
      'run',
      '-d',
      '--name',
      'mounts',
      '--network',
      'none',
      '-v',
      `${vol}:/data`,
      '--tmpfs',
      '/scratch',
      'busybox',
      'sh',
      '-c',
      'echo in-tmpfs > /scratch/t; sleep 1000',
    ]);
    const src = join(d.dir, 'to-volume');
    writeFileSync(src, 'copied in\n');
    ok(['cp', src, 'mounts:/data/copied']);
    // into the bind mount's source on the host, not the root file system under it
    assert.equal(readFileSync(join(vol, 'copied'), 'utf8'), 'copied in\n');
    assert.equal(ok(['exec', 'mounts', 'cat', '/data/copied']), 'copied in\n');
    const out = join(d.dir, 'out-mounts');
    mkdirSync(out);
    ok(['cp', 'mounts:/data/from-host', join(out, 'from-host')]);
    assert.equal(readFileSync(join(out, 'from-host'), 'utf8'), 'host side\n');
    for (let i = 0; i < 50 && docker(d, ['exec', 'mounts', 'test', '-f', '/scratch/t']).status !== 0; i++)
      execFileSync('sleep', ['0.05']);
    ok(['cp', 'mounts:/scratch/t', join(out, 't')]);
    assert.equal(readFileSync(join(out, 't'), 'utf8'), 'in-tmpfs\n');
    ok(['export', '-o', join(out, 'export.tar'), 'mounts']);
    const names = execFileSync('tar', ['-tf', join(out, 'export.tar')], { encoding: 'utf8' });
    assert.match(names, /^bin\/busybox$/m);
    assert.doesNotMatch(names, /copied|from-host|^scratch\/t$/m);
    ok(['rm', '-f', 'mounts']);
  });

  test('cp in from -: a tar stream on stdin; a file over a directory is refused', () => {
    const tar = execFileSync('tar', ['-C', local, '-cf', '-', 'file', 'dir']);
    const res = dockerRaw(d, ['cp', '-', 'live:/tmp'], tar);
    assert.equal(res.status, 0, res.stderr);
    assert.equal(ok(['exec', 'live', 'cat', '/tmp/dir/top']), 'top\n');
    const bad = execFileSync('tar', ['-C', local, '--transform', 's/^file$/dir/', '-cf', '-', 'file']);
    const refused = dockerRaw(d, ['cp', '-', 'live:/tmp'], bad);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /cannot overwrite directory "\/tmp\/dir" with non-directory "\/tmp"/);
    const notDir = docker(d, ['cp', join(local, 'dir'), 'live:/tmp/renamed/x']);
    assert.notEqual(notDir.status, 0);
  });

  test('export: the whole root file system', () => {
    const res = dockerRaw(d, ['export', 'src']);
    assert.equal(res.status, 0, res.stderr);
    const names = tarList(res.stdout);
    for (const name of ['bin/busybox', 'd/f', 'd/lnk -> /etc/passwd', 'etc/shadow', 'tmp/newdir/top'])
      assert.ok(names.includes(name), `${name} not in the export`);
    assert.ok(!names.some((n) => n.startsWith('/') || n.startsWith('./')));
  });

  test('diff: what the container changed, without its /etc/hosts and resolv.conf', () => {
    ok([
      'run',
      '--name',
      'changer',
      '--network',
      'none',
      'busybox',
      'sh',
      '-c',
      'rm /etc/group; echo x >> /etc/passwd; mkdir -p /var/a; touch /var/a/f',
    ]);
    assert.equal(
      ok(['diff', 'changer']),
      ['C /etc', 'D /etc/group', 'C /etc/passwd', 'C /var', 'A /var/a', 'A /var/a/f', ''].join('\n'),
    );
    ok(['run', '--name', 'idle', '--network', 'none', 'busybox', 'true']);
    assert.equal(ok(['diff', 'idle']), '');
  });

  test('commit, then run the new image: the change is there; -c CMD, -m and -a are kept', () => {
    const id = ok([
      'commit',
      '-m',
      'from src',
      '-a',
      'Tester <t@example.com>',
      '-c',
      'CMD ["cat", "/d/f"]',
      'src',
      'snap:v1',
    ]).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(ok(['run', '--rm', '--network', 'none', 'snap:v1']), 'hi\n');
    assert.equal(
      ok(['run', '--rm', '--network', 'none', 'snap:v1', 'cat', '/tmp/newdir/sub/deep']),
      'deep\n',
    );
    const info = ok([
      'image',
      'inspect',
      '-f',
      '{{json .Config.Cmd}} {{.Comment}} {{.Author}} {{len .RootFS.Layers}}',
      'snap:v1',
    ]);
    assert.equal(info.trim(), '["cat","/d/f"] from src Tester <t@example.com> 2');
    const history = ok(['history', '--no-trunc', '--format', '{{.Comment}}|{{.CreatedBy}}', 'snap:v1']);
    assert.match(history.split('\n')[0], /^from src\|sh -c mkdir -p \/d\/sub/);
    const parent = ok(['image', 'inspect', '-f', '{{.Parent}}', 'snap:v1']).trim();
    assert.equal(parent, ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox']).trim());
  });

  test("the committed layer holds no /etc/hosts, /etc/resolv.conf nor the runtime's mount points", () => {
    ok(['commit', 'changer', 'changed:v1']);
    const saved = dockerRaw(d, ['save', 'changed:v1']);
    assert.equal(saved.status, 0, saved.stderr);
    const dir = join(d.dir, 'saved');
    mkdirSync(dir);
    execFileSync('tar', ['-C', dir, '-xf', '-'], { input: saved.stdout });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const layers: string[] = manifest[0].Layers;
    assert.equal(layers.length, 2);
    const names = tarList(readFileSync(join(dir, layers[1])));
    assert.deepEqual(names, ['etc/', 'etc/.wh.group', 'etc/passwd', 'var/', 'var/a/', 'var/a/f']);
    // nothing changed: no new layer
    ok(['commit', 'idle', 'idle:v1']);
    assert.equal(ok(['image', 'inspect', '-f', '{{len .RootFS.Layers}}', 'idle:v1']).trim(), '1');
  });

  test('commit of a running container: paused meanwhile, running after; the event is sent', () => {
    ok(['exec', 'live', 'sh', '-c', 'echo during > /tmp/during']);
    const since = Math.floor(Date.now() / 1000) - 1;
    const id = ok(['commit', 'live', 'live:v1']).trim();
    assert.equal(ok(['inspect', '-f', '{{.State.Status}}', 'live']).trim(), 'running');
    assert.equal(ok(['run', '--rm', '--network', 'none', 'live:v1', 'cat', '/tmp/during']), 'during\n');
    const until = Math.floor(Date.now() / 1000) + 1;
    const events = ok([
      'events',
      '--since',
      String(since),
      '--until',
      String(until),
      '--filter',
      'container=live',
      '--format',
      '{{.Action}} {{index .Actor.Attributes "imageID"}}',
    ]);
    assert.match(events, /^pause /m);
    assert.match(events, /^unpause /m);
    assert.ok(events.includes(`commit ${id}`), events);
    ok(['commit', '--pause=false', 'live', 'live:v2']);
    assert.equal(ok(['inspect', '-f', '{{.State.Status}}', 'live']).trim(), 'running');
  });
});
