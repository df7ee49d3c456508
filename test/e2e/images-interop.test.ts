// Images made by other tools load through berthd with the docker CLI and with berth: an OCI
// image built with umoci, copied by skopeo into a docker-archive (v2s2) and an OCI archive.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { berth, cleanup, type Daemon, docker, startDaemon } from './daemon-helpers.ts';

const tools = ['skopeo', 'umoci'].every((t) => spawnSync(t, ['--version']).status === 0);

describe('images from skopeo and umoci', {
  skip: tools ? false : 'skopeo or umoci missing (scripts/setup.sh installs them)',
}, () => {
  let d: Daemon;
  let v2s2: string;
  let oci: string;
  before(async () => {
    d = await startDaemon();
    const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: d.dir, stdio: 'pipe' });
    run('umoci', ['init', '--layout', 'oci']);
    run('umoci', ['new', '--image', 'oci:base']);
    run('umoci', ['unpack', '--image', 'oci:base', 'bundle']);
    copyFileSync('/bin/busybox', join(d.dir, 'bundle', 'rootfs', 'busybox'));
    run('umoci', ['repack', '--image', 'oci:base', 'bundle']);
    run('umoci', ['config', '--image', 'oci:base', '--config.cmd', '/busybox', '--config.cmd', 'echo']);
    v2s2 = join(d.dir, 'v2s2.tar');
    oci = join(d.dir, 'oci.tar');
    run('skopeo', ['copy', 'oci:oci:base', `docker-archive:${v2s2}:umoci/box:v2s2`]);
    run('skopeo', ['copy', 'oci:oci:base', `oci-archive:${oci}:umoci/box:oci`]);
  });
  after(async () => {
    await cleanup(d);
  });

  test('a docker-archive (v2s2) from skopeo loads with the docker CLI', () => {
    const res = docker(d, ['load', '-i', v2s2]);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /Loaded image: umoci\/box:v2s2/);
    const cmd = docker(d, ['inspect', '-f', '{{json .Config.Cmd}} {{len .RootFS.Layers}}', 'umoci/box:v2s2']);
    assert.equal(cmd.stdout.trim(), '["/busybox","echo"] 1');
  });

  test('an OCI archive from skopeo loads with berth', () => {
    const res = berth(d.host, ['load', '-i', oci]);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /Loaded image/);
    const images = docker(d, ['images', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.match(images.stdout, /umoci\/box:v2s2/);
    // the same layers: the second load unpacked nothing new
    const layers = docker(d, [
      'image',
      'inspect',
      '-f',
      '{{index .RootFS.Layers 0}}',
      'umoci/box:v2s2',
    ]).stdout;
    const all = docker(d, ['images', '-q', '--no-trunc']).stdout.trim().split('\n');
    for (const id of all)
      assert.equal(docker(d, ['image', 'inspect', '-f', '{{index .RootFS.Layers 0}}', id]).stdout, layers);
  });
});
