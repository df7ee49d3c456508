// What a side-by-side run of the docker CLI against berthd and the reference dockerd showed
// berth doing differently: the HostConfig and Config dockerd stores at create, the checks it
// makes at create, its errors and exit statuses, `ps --filter` and `container prune`.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  cleanup,
  type Daemon,
  docker,
  importBusybox,
  removeAllContainers,
  startDaemon,
} from './daemon-helpers.ts';

describe('containers as dockerd shows and refuses them', { concurrency: false }, () => {
  let d: Daemon;
  before(async () => {
    d = await startDaemon();
    importBusybox(d);
  });
  after(async () => {
    removeAllContainers(d);
    await cleanup(d);
  });

  const inspect = (name: string) => JSON.parse(docker(d, ['inspect', name]).stdout)[0];
  const create = (args: string[]) => {
    const res = docker(d, ['create', ...args]);
    assert.equal(res.status, 0, res.stderr);
    return res.stdout.trim();
  };

  test('create stores the HostConfig and Config dockerd stores', () => {
    create(['--name', 'plain', '--network', 'none', '--tmpfs', '/run', 'busybox']);
    const c = inspect('plain');
    const hc = c.HostConfig;
    assert.deepEqual(hc.LogConfig, { Type: 'json-file', Config: {} });
    assert.equal(hc.MemorySwappiness, null);
    assert.equal(hc.PidsLimit, null);
    assert.equal(hc.Runtime, 'berth');
    assert.ok(hc.MaskedPaths.includes('/proc/kcore'), JSON.stringify(hc.MaskedPaths));
    assert.ok(hc.ReadonlyPaths.includes('/proc/sys'), JSON.stringify(hc.ReadonlyPaths));
    assert.equal(hc.SecurityOpt, null);
    assert.equal(c.Config.Env, null);
    assert.equal(c.Config.Volumes, null);
    assert.equal(c.Driver, c.GraphDriver.Name);
    // --tmpfs is not among the Mounts
    assert.deepEqual(c.Mounts, []);

    create(['--name', 'priv', '--network', 'none', '--privileged', '--entrypoint', '', 'busybox', 'true']);
    const p = inspect('priv');
    assert.deepEqual(p.HostConfig.SecurityOpt, ['label=disable']);
    assert.equal(p.HostConfig.MaskedPaths, null);
    assert.equal(p.HostConfig.ReadonlyPaths, null);
    assert.equal(p.Config.Entrypoint, null);
    assert.deepEqual([p.Path, p.Args], ['true', []]);
  });

  test('create refuses what dockerd refuses at create, with its words', () => {
    const refused: [string[], RegExp][] = [
      [['--log-driver', 'foo'], /error looking up logging plugin foo: plugin "foo" not found/],
      [['--log-opt', 'foo=bar'], /unknown log opt 'foo' for json-file log driver/],
      [['--runtime', 'foo'], /unknown or invalid runtime name: foo/],
      [['--storage-opt', 'size=1G'], /--storage-opt is not supported/],
      [['--cpuset-mems', '99'], /Requested memory nodes are not available - requested 99, available: /],
      [['--ipc', 'container:nosuch'], /No such container: nosuch/],
      [['--pid', 'container:nosuch'], /No such container: nosuch/],
      [
        ['--mount', 'type=bind,src=/nonexistent-berth-src,dst=/x'],
        /bind source path does not exist: \/nonexistent-berth-src/,
      ],
      [['--stop-signal', 'FOO'], /Invalid signal: FOO/],
      [['--link', 'nosuch:alias'], /could not get container for nosuch: No such container: nosuch/],
      [['--restart', 'sometimes'], /invalid restart policy: unknown policy 'sometimes'; use one of/],
    ];
    const before = docker(d, ['ps', '-aq']).stdout;
    for (const [args, message] of refused) {
      const res = docker(d, ['create', '--network', 'none', ...args, 'busybox']);
      assert.equal(res.status, 1, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, message, args.join(' '));
    }
    assert.equal(docker(d, ['ps', '-aq']).stdout, before, 'nothing was created');
  });

  test('a blkio weight the I/O scheduler cannot take is discarded with a warning', (t) => {
    const blkio = '/sys/fs/cgroup/blkio';
    if (!existsSync(blkio) || existsSync(`${blkio}/blkio.weight`) || existsSync(`${blkio}/blkio.bfq.weight`))
      return t.skip('this host has a blkio weight');
    const res = docker(d, ['run', '--rm', '--network', 'none', '--blkio-weight', '5', 'busybox', 'true']);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stderr, /WARNING: Your kernel does not support Block I\/O weight.*Weight discarded/);
  });

  test('start errors: the exit status docker run picks from the words, the log options', () => {
    const missing = docker(d, [
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      '/nonexistent',
      'busybox',
    ]);
    assert.equal(missing.status, 127, missing.stderr);
    assert.match(missing.stderr, /no such file or directory/);
    const size = docker(d, [
      'run',
      '--rm',
      '--network',
      'none',
      '--log-opt',
      'max-size=abc',
      'busybox',
      'true',
    ]);
    assert.equal(size.status, 125, size.stderr);
    assert.match(size.stderr, /failed to initialize logging driver: invalid size: 'abc'/);
  });

  test('rename to a name in use or a bad name: dockerd words it as a failed allocation', () => {
    create(['--name', 'ren-a', '--network', 'none', 'busybox']);
    create(['--name', 'ren-b', '--network', 'none', 'busybox']);
    const taken = docker(d, ['rename', 'ren-a', 'ren-b']);
    assert.equal(taken.status, 1);
    assert.match(
      taken.stderr,
      /Error when allocating new name: Conflict\. The container name "\/ren-b" is already in use/,
    );
    const bad = docker(d, ['rename', 'ren-a', 'bad/name']);
    assert.match(bad.stderr, /Error when allocating new name: Invalid container name \(\/bad\/name\)/);
  });

  test('ps --filter: every key dockerd takes, its checks of their values', () => {
    removeAllContainers(d);
    assert.equal(
      docker(d, ['run', '--name', 'f-exit0', '--network', 'none', '-v', '/tmp:/tmpx', 'busybox', 'true'])
        .status,
      0,
    );
    const run = docker(d, ['run', '-d', '--name', 'f-exposed', '--expose', '80', 'busybox', 'sleep', '100']);
    assert.equal(run.status, 0, run.stderr);
    const names = (...filters: string[]) => {
      const res = docker(d, [
        'ps',
        '-a',
        ...filters.flatMap((f) => ['--filter', f]),
        '--format',
        '{{.Names}}',
      ]);
      assert.equal(res.status, 0, res.stderr);
      return res.stdout.split('\n').filter(Boolean).sort();
    };
    assert.deepEqual(names('volume=/tmpx'), ['f-exit0']);
    assert.deepEqual(names('volume=/tmp'), ['f-exit0']);
    assert.deepEqual(names('volume=/nowhere'), []);
    assert.deepEqual(names('isolation=default'), ['f-exit0', 'f-exposed']);
    assert.deepEqual(names('isolation=hyperv'), []);
    assert.deepEqual(names('is-task=true'), []);
    assert.deepEqual(names('is-task=false'), ['f-exit0', 'f-exposed']);
    // the exposed port of a running container on a bridge network is listed, so it matches
    assert.deepEqual(names('expose=80'), ['f-exposed']);
    assert.deepEqual(names('expose=70-90/tcp'), ['f-exposed']);
    assert.deepEqual(names('expose=80/udp'), []);
    assert.equal(docker(d, ['ps', '--format', '{{.Names}} {{.Ports}}']).stdout.trim(), 'f-exposed 80/tcp');
    // an exited filter, unlike a status one, does not list stopped containers without -a
    assert.equal(docker(d, ['ps', '--filter', 'exited=0', '-q']).stdout, '');
    assert.notEqual(docker(d, ['ps', '--filter', 'status=exited', '-q']).stdout, '');

    const refused: [string, RegExp][] = [
      ['exited=abc', /strconv\.Atoi: parsing "abc": invalid syntax/],
      ['before=nosuch', /No such container: nosuch/],
      ['since=nosuch', /No such container: nosuch/],
      ['health=bad', /Unrecognised filter value for health: bad/],
      ['is-task=maybe', /Invalid filter 'is-task=\[maybe\]'/],
      [
        'publish=abc',
        /error while looking up for publish abc: strconv\.ParseUint: parsing "abc": invalid syntax/,
      ],
      ['expose=80:80', /filter for 'expose' should not contain ':': 80:80/],
    ];
    for (const [filter, message] of refused) {
      const res = docker(d, ['ps', '--filter', filter]);
      assert.equal(res.status, 1, filter);
      assert.match(res.stderr, message, filter);
    }
  });

  test('update changes what dockerd changes: swap kept, conflicts refused, the policy kept unless named', () => {
    const run = docker(d, [
      'run',
      '-d',
      '--name',
      'upd',
      '--network',
      'none',
      '--cpu-quota',
      '50000',
      'busybox',
      'sleep',
      '100',
    ]);
    assert.equal(run.status, 0, run.stderr);
    const id = run.stdout.trim();
    const hc = () => inspect('upd').HostConfig;
    const noSwap = docker(d, ['update', '-m', '64m', 'upd']);
    assert.equal(noSwap.status, 1);
    assert.match(
      noSwap.stderr,
      new RegExp(
        `Cannot update container ${id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time`,
      ),
    );
    assert.equal(docker(d, ['update', '-m', '64m', '--memory-swap', '128m', 'upd']).status, 0);
    assert.equal(docker(d, ['update', '-m', '100m', '--pids-limit', '-1', 'upd']).status, 0);
    assert.deepEqual(
      [hc().Memory, hc().MemorySwap, hc().PidsLimit],
      [100 * 1024 * 1024, 128 * 1024 * 1024, 0],
    );
    assert.deepEqual(hc().RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
    const cpus = docker(d, ['update', '--cpus', '1', 'upd']);
    assert.equal(cpus.status, 1);
    assert.match(
      cpus.stderr,
      /Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set/,
    );
    // a too small limit is refused for what it is, before the swap rule
    assert.match(docker(d, ['update', '-m', '1k', 'upd']).stderr, /Minimum memory limit allowed is 6MB/);
  });

  test("update checks the HostConfig only: a container of an image with a VOLUME, or on another container's network, can be updated", () => {
    const base = docker(d, [
      'run',
      '-d',
      '--name',
      'upd-base',
      '--network',
      'none',
      'busybox',
      'sleep',
      '100',
    ]);
    assert.equal(base.status, 0, base.stderr);
    assert.equal(docker(d, ['commit', '-c', 'VOLUME /data', 'upd-base', 'upd-vol:1']).status, 0);
    create(['--name', 'upd-vol', '--network', 'none', 'upd-vol:1', 'sleep', '100']);
    create(['--name', 'upd-joined', '--network', 'container:upd-base', 'busybox', 'sleep', '100']);
    for (const name of ['upd-vol', 'upd-joined']) {
      const res = docker(d, ['update', '--cpu-shares', '512', name]);
      assert.equal(res.status, 0, `${name}: ${res.stderr}`);
      assert.equal(inspect(name).HostConfig.CpuShares, 512);
    }
    docker(d, ['rm', '-f', 'upd-vol', 'upd-joined', 'upd-base']);
    docker(d, ['rmi', 'upd-vol:1']);
  });

  test('stop -t -1 waits for the container however long it takes, as dockerd (berth killed it at once)', () => {
    const run = docker(d, [
      'run',
      '-d',
      '--name',
      'patient',
      '--network',
      'none',
      'busybox',
      'sh',
      '-c',
      'trap "sleep 1; exit 7" TERM; while :; do sleep 0.1; done',
    ]);
    assert.equal(run.status, 0, run.stderr);
    const stop = docker(d, ['stop', '-t', '-1', 'patient']);
    assert.equal(stop.status, 0, stop.stderr);
    assert.equal(inspect('patient').State.ExitCode, 7);
    // and a timeout longer than a timer holds (2^31 ms) is waited for, not taken as 1 ms
    assert.equal(docker(d, ['start', 'patient']).status, 0);
    const long = docker(d, ['stop', '-t', '3000000', 'patient']);
    assert.equal(long.status, 0, long.stderr);
    assert.equal(inspect('patient').State.ExitCode, 7);
    docker(d, ['rm', '-f', 'patient']);
  });

  test("container:<name> modes: stored by ID; a joined network brings the other container's names and files", () => {
    const base = docker(d, ['run', '-d', '--name', 'base', '--ipc', 'shareable', 'busybox', 'sleep', '100']);
    assert.equal(base.status, 0, base.stderr);
    const id = base.stdout.trim();
    const run = docker(d, [
      'run',
      '-d',
      '--name',
      'joiner',
      '--network',
      'container:base',
      '--ipc',
      'container:base',
      '--pid',
      'container:base',
      'busybox',
      'sleep',
      '100',
    ]);
    assert.equal(run.status, 0, run.stderr);
    const j = inspect('joiner');
    const b = inspect('base');
    assert.deepEqual(
      [j.HostConfig.NetworkMode, j.HostConfig.IpcMode, j.HostConfig.PidMode],
      [`container:${id}`, `container:${id}`, `container:${id}`],
    );
    assert.equal(j.Config.Hostname, id.slice(0, 12));
    assert.deepEqual(
      [j.HostnamePath, j.HostsPath, j.ResolvConfPath],
      [b.HostnamePath, b.HostsPath, b.ResolvConfPath],
    );
    const files = docker(d, ['exec', 'joiner', 'sh', '-c', 'hostname; cat /etc/hostname']);
    assert.equal(files.stdout, `${id.slice(0, 12)}\n${id.slice(0, 12)}\n`, files.stderr);
    // the other container renamed: the modes still find it
    assert.equal(docker(d, ['rename', 'base', 'base2']).status, 0);
    const restart = docker(d, ['restart', '-t', '0', 'joiner']);
    assert.equal(restart.status, 0, restart.stderr);
    docker(d, ['rm', '-f', 'joiner', 'base2']);
  });

  test('bind propagation as dockerd: given in -v modes, rslave for a bind of the data root or above it', () => {
    const run = docker(d, [
      'run',
      '-d',
      '--name',
      'binds',
      '--network',
      'none',
      '-v',
      '/:/host:ro',
      '-v',
      '/etc:/e:ro,rshared',
      'busybox',
      'sleep',
      '100',
    ]);
    assert.equal(run.status, 0, run.stderr);
    const byDest = Object.fromEntries(
      inspect('binds').Mounts.map((m: { Destination: string; Propagation: string }) => [
        m.Destination,
        m.Propagation,
      ]),
    );
    assert.deepEqual(byDest, { '/host': 'rslave', '/e': 'rshared' });
    // and so the container is started: its spec's mounts
    const id = run.stdout.trim();
    const spec = JSON.parse(readFileSync(join(d.execRoot, 'c', id.slice(0, 32), 'config.json'), 'utf8'));
    const opts = (dest: string) =>
      spec.mounts.find((m: { destination: string }) => m.destination === dest).options;
    assert.ok(opts('/host').includes('rslave'), opts('/host'));
    assert.ok(opts('/e').includes('rshared'), opts('/e'));
    const privateRoot = docker(d, ['create', '--network', 'none', '-v', '/:/host:rprivate', 'busybox']);
    assert.equal(privateRoot.status, 1);
    assert.match(
      privateRoot.stderr,
      /must use either propagation mode "rslave" or "rshared" when mount source is within the daemon root/,
    );
    docker(d, ['rm', '-f', 'binds']);
  });

  test('rm of a paused container says to unpause first; a container with no changes: null', async () => {
    const run = docker(d, ['run', '-d', '--name', 'paused', '--network', 'none', 'busybox', 'sleep', '100']);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(docker(d, ['pause', 'paused']).status, 0);
    const rm = docker(d, ['rm', 'paused']);
    assert.equal(rm.status, 1);
    assert.match(
      rm.stderr,
      /You cannot remove a paused container [0-9a-f]{64}\. Unpause and then stop the container before attempting removal or force remove/,
    );
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ socketPath: d.socket, path: '/v1.45/containers/paused/changes' }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(body.trim(), 'null');
  });

  test('container prune reclaims what ps -s counts: nothing for a container that wrote nothing', () => {
    removeAllContainers(d);
    assert.equal(docker(d, ['run', '--network', 'none', 'busybox', 'true']).status, 0);
    const res = docker(d, ['container', 'prune', '-f']);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /Total reclaimed space: 0B/);
  });
});
