// Containers through berthd with the real docker CLI: run (attached, detached, --rm), output and
// exit codes, ps, inspect, stop/kill/restart/rm, wait, pause, rename, exec, logs, attach with
// stdin, and Docker's errors for the usual mistakes.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

describe('containers through the docker CLI', { concurrency: false }, () => {
  let d: Daemon;
  before(async () => {
    d = await startDaemon();
    importBusybox(d);
  });
  after(async () => {
    removeAllContainers(d);
    await cleanup(d);
  });

  test('run prints the output and passes the exit code on', () => {
    const res = docker(d, [
      'run',
      '--name',
      'hello',
      '--network',
      'none',
      'busybox',
      'sh',
      '-c',
      'echo out; echo err >&2; exit 3',
    ]);
    assert.equal(res.status, 3, res.stderr);
    assert.equal(res.stdout, 'out\n');
    assert.equal(res.stderr, 'err\n');
    const state = docker(d, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.Name}}', 'hello']);
    assert.equal(state.stdout.trim(), 'exited 3 /hello');
  });

  test('run --rm removes the container; a missing program exits 127', () => {
    const res = docker(d, ['run', '--rm', '--name', 'gone', '--network', 'none', 'busybox', 'true']);
    assert.equal(res.status, 0, res.stderr);
    assert.notEqual(docker(d, ['inspect', 'gone']).status, 0);
    const missing = docker(d, ['run', '--rm', '--network', 'none', 'busybox', 'nosuchprogram']);
    assert.equal(missing.status, 127, missing.stderr);
    assert.match(missing.stderr, /executable file not found/);
  });

  test('run -d, ps, logs, exec, stop', () => {
    const run = docker(d, [
      'run',
      '-d',
      '--name',
      'web',
      '--network',
      'none',
      'busybox',
      'sh',
      '-c',
      'echo started; while true; do sleep 1; done',
    ]);
    assert.equal(run.status, 0, run.stderr);
    const id = run.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = docker(d, ['ps', '--format', '{{.Names}} {{.Status}} {{.Networks}}']);
    assert.match(ps.stdout, /^web Up .* none$/m);
    // as dockerd: the `none` network's endpoint, with no address, an ID while it runs
    const noneId = docker(d, ['network', 'inspect', '-f', '{{.Id}}', 'none']).stdout.trim();
    const endpoint = JSON.parse(
      docker(d, ['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'web']).stdout,
    ) as Record<string, { NetworkID: string; EndpointID: string; IPAddress: string }>;
    assert.deepEqual(Object.keys(endpoint), ['none']);
    assert.equal(endpoint.none.NetworkID, noneId);
    assert.match(endpoint.none.EndpointID, /^[0-9a-f]{64}$/);
    assert.equal(endpoint.none.IPAddress, '');
    const listed = JSON.parse(
      docker(d, ['network', 'inspect', '-f', '{{json .Containers}}', 'none']).stdout,
    ) as Record<string, { Name: string; EndpointID: string; IPv4Address: string }>;
    assert.deepEqual(listed[id], {
      Name: 'web',
      EndpointID: endpoint.none.EndpointID,
      MacAddress: '',
      IPv4Address: '',
      IPv6Address: '',
    });
    const exec = docker(d, ['exec', 'web', 'sh', '-c', 'echo in $(hostname); exit 4']);
    assert.equal(exec.status, 4, exec.stderr);
    assert.equal(exec.stdout, `in ${id.slice(0, 12)}\n`);
    const logs = docker(d, ['logs', 'web']);
    assert.equal(logs.stdout, 'started\n');
    const stop = docker(d, ['stop', '-t', '1', 'web']);
    assert.equal(stop.status, 0, stop.stderr);
    const state = docker(d, ['inspect', '-f', '{{.State.Status}} {{.State.Running}}', 'web']);
    assert.equal(state.stdout.trim(), 'exited false');
    const stopped = docker(d, ['inspect', '-f', '{{.NetworkSettings.Networks.none.EndpointID}}', 'web']);
    assert.equal(stopped.stdout.trim(), '');
    assert.equal(docker(d, ['ps', '-q', '--filter', 'name=web']).stdout, '');
    assert.match(
      docker(d, ['ps', '-a', '--filter', 'name=web', '--format', '{{.Status}}']).stdout,
      /^Exited \(137\)|^Exited \(143\)/,
    );
  });

  test('attach -i: stdin reaches the container, its output comes back', async () => {
    const child = spawn(
      'docker',
      ['run', '-i', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'read x; echo got $x'],
      {
        env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') },
      },
    );
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stdin.end('hello\n');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 0);
    assert.equal(out, 'got hello\n');
  });

  test('errors: no such container, name conflict, rm of a running container', () => {
    const missing = docker(d, ['stop', 'nosuch']);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /No such container: nosuch/);
    docker(d, ['run', '-d', '--name', 'busy', '--network', 'none', 'busybox', 'sleep', '100']);
    const dup = docker(d, ['create', '--name', 'busy', '--network', 'none', 'busybox']);
    assert.notEqual(dup.status, 0);
    assert.match(dup.stderr, /Conflict\. The container name "\/busy" is already in use/);
    const rm = docker(d, ['rm', 'busy']);
    assert.notEqual(rm.status, 0);
    assert.match(rm.stderr, /You cannot remove a running container/);
    const execStopped = docker(d, ['exec', 'hello', 'true']);
    assert.notEqual(execStopped.status, 0);
    assert.match(execStopped.stderr, /is not running/);
    assert.equal(docker(d, ['rm', '-f', 'busy']).status, 0);
    assert.notEqual(docker(d, ['inspect', 'busy']).status, 0);
  });

  test('pause, unpause, rename, kill, wait', () => {
    docker(d, ['run', '-d', '--name', 'p1', '--network', 'none', 'busybox', 'sleep', '100']);
    assert.equal(docker(d, ['pause', 'p1']).status, 0);
    assert.equal(docker(d, ['inspect', '-f', '{{.State.Status}}', 'p1']).stdout.trim(), 'paused');
    assert.equal(docker(d, ['unpause', 'p1']).status, 0);
    assert.equal(docker(d, ['rename', 'p1', 'p2']).status, 0);
    assert.equal(docker(d, ['kill', 'p2']).status, 0);
    const wait = docker(d, ['wait', 'p2']);
    assert.equal(wait.stdout.trim(), '137');
    assert.equal(docker(d, ['rm', 'p2']).status, 0);
  });

  test('update changes the running cgroup; prune removes stopped containers; ps -s shows sizes', () => {
    const run = docker(d, [
      'run',
      '-d',
      '--name',
      'upd',
      '--network',
      'none',
      '-m',
      '64m',
      'busybox',
      'sleep',
      '100',
    ]);
    assert.equal(run.status, 0, run.stderr);
    const id = run.stdout.trim();
    const upd = docker(d, [
      'update',
      '-m',
      '96m',
      '--memory-swap',
      '128m',
      '--restart',
      'on-failure:2',
      'upd',
    ]);
    assert.equal(upd.status, 0, upd.stderr);
    // the host's view of the container's memory cgroup (v1 here; v2 memory.max)
    const v1 = `/sys/fs/cgroup/memory/berth/${id}/memory.limit_in_bytes`;
    const v2 = `/sys/fs/cgroup/berth/${id}/memory.max`;
    const file = existsSync(v1) ? v1 : v2;
    assert.equal(readFileSync(file, 'utf8').trim(), String(96 * 1024 * 1024));
    const hc = docker(d, [
      'inspect',
      '-f',
      '{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}',
      'upd',
    ]);
    assert.equal(hc.stdout.trim(), `${96 * 1024 * 1024} on-failure:2`);
    const bad = docker(d, ['update', '-m', '1k', 'upd']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /Minimum memory limit allowed is 6MB/);
    assert.equal(docker(d, ['exec', 'upd', 'sh', '-c', 'echo data > /newfile']).status, 0);
    const sized = docker(d, ['ps', '-s', '--filter', `id=${id}`, '--format', '{{.Size}}']);
    assert.match(sized.stdout, /B \(virtual /);
    docker(d, ['rm', '-f', 'upd']);
    docker(d, ['create', '--name', 'stopped1', '--network', 'none', 'busybox', 'true']);
    docker(d, ['run', '-d', '--name', 'alive', '--network', 'none', 'busybox', 'sleep', '100']);
    const prune = docker(d, ['container', 'prune', '-f']);
    assert.equal(prune.status, 0, prune.stderr);
    assert.match(prune.stdout, /Deleted Containers:/);
    assert.notEqual(docker(d, ['inspect', 'stopped1']).status, 0);
    assert.equal(docker(d, ['inspect', '-f', '{{.State.Running}}', 'alive']).stdout.trim(), 'true');
    docker(d, ['rm', '-f', 'alive']);
  });

  test('run -it under a pty: a shell reads the terminal, sees its size, exits with its status', async () => {
    const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') };
    // script's stdin stays open (an input that ends makes script send a NUL the pty echoes)
    const sizeRun = spawn(
      'script',
      [
        '-qec',
        "stty cols 100 rows 30; docker run -it --rm --network none busybox sh -c 'tty; stty size; echo $TERM'",
        '/dev/null',
      ],
      { env, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let sizeOut = '';
    sizeRun.stdout.on('data', (c) => (sizeOut += c));
    const sizeStatus = await new Promise<number | null>((r) => sizeRun.on('close', r));
    sizeRun.stdin.destroy();
    const size = { status: sizeStatus, stdout: sizeOut, stderr: '' };
    assert.equal(size.status, 0, size.stderr);
    assert.match(size.stdout, /\/dev\/pts\/0\r\n30 100\r\nxterm\r\n/);
    const shell = spawnSync(
      'script',
      ['-qec', 'docker run -it --rm --network none busybox sh', '/dev/null'],
      {
        env,
        input: 'echo hi-from-$((6*7))\nexit 5\n',
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    assert.match(shell.stdout, /hi-from-42/);
    assert.equal(shell.status, 5, shell.stdout);
  });

  test('logs -f follows a live container to its end; top and stats --no-stream read its cgroup', async () => {
    const run = docker(d, [
      'run',
      '-d',
      '--name',
      'ticker',
      '--network',
      'none',
      '-m',
      '32m',
      'busybox',
      'sh',
      '-c',
      'for i in 1 2 3 4 5; do echo tick $i; sleep 0.3; done; sleep 3',
    ]);
    assert.equal(run.status, 0, run.stderr);
    const id = run.stdout.trim();
    const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') };
    const follow = spawn('docker', ['logs', '-f', '-t', 'ticker'], { env });
    let followed = '';
    follow.stdout.on('data', (c) => (followed += c));
    const ended = new Promise((r) => follow.on('close', r));
    const top = docker(d, ['top', 'ticker']);
    assert.equal(top.status, 0, top.stderr);
    assert.match(top.stdout, /^UID\s+PID\s+PPID/);
    assert.match(top.stdout, /sh -c for i in/);
    const stats = docker(d, [
      'stats',
      '--no-stream',
      '--format',
      '{{.Name}} {{.MemUsage}} {{.PIDs}}',
      'ticker',
    ]);
    assert.equal(stats.status, 0, stats.stderr);
    assert.match(stats.stdout, /^ticker [\d.]+[KMG]i?B \/ 32MiB [12]\n$/);
    const v1 = `/sys/fs/cgroup/memory/berth/${id}/memory.limit_in_bytes`;
    if (existsSync(v1)) assert.equal(readFileSync(v1, 'utf8').trim(), String(32 * 1024 * 1024));
    await ended;
    const lines = followed.trim().split('\n');
    assert.equal(lines.length, 5, followed);
    lines.forEach((l, i) => {
      assert.match(l, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z tick ${i + 1}$`));
    });
    assert.equal(docker(d, ['logs', '--tail', '2', 'ticker']).stdout, 'tick 4\ntick 5\n');
    docker(d, ['rm', '-f', 'ticker']);
  });

  test('exec -u -w -e -d --privileged and exec -it', () => {
    assert.equal(
      docker(d, ['run', '-d', '--name', 'ex', '--network', 'none', 'busybox', 'sleep', '100']).status,
      0,
    );
    const who = docker(d, [
      'exec',
      '-u',
      'nobody',
      '-w',
      '/tmp',
      '-e',
      'GREETING=hi',
      'ex',
      'sh',
      '-c',
      'echo $(id -un) $(pwd) $GREETING',
    ]);
    assert.equal(who.status, 0, who.stderr);
    assert.equal(who.stdout, 'nobody /tmp hi\n');
    // --privileged: every capability berthd holds (this host lacks CAP_SYS_RESOURCE, for one)
    const held = /^CapPrm:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1];
    const caps = docker(d, ['exec', '--privileged', 'ex', 'sh', '-c', 'grep CapEff /proc/self/status']);
    assert.equal(caps.stdout.trim(), `CapEff:\t${held}`, caps.stderr);
    const priv = docker(d, [
      'run',
      '--rm',
      '--privileged',
      '--network',
      'none',
      'busybox',
      'grep',
      'CapEff',
      '/proc/self/status',
    ]);
    assert.equal(priv.stdout.trim(), `CapEff:\t${held}`, priv.stderr);
    const plain = docker(d, ['exec', 'ex', 'sh', '-c', 'grep CapEff /proc/self/status']);
    assert.match(plain.stdout, /CapEff:\s+00000000a80425fb/);
    assert.equal(docker(d, ['exec', '-d', 'ex', 'sh', '-c', 'echo detached > /tmp/d']).status, 0);
    let seen = '';
    for (let i = 0; i < 50 && seen !== 'detached\n'; i++)
      seen = docker(d, ['exec', 'ex', 'cat', '/tmp/d']).stdout;
    assert.equal(seen, 'detached\n');
    const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') };
    const it = spawnSync('script', ['-qec', 'docker exec -it ex sh', '/dev/null'], {
      env,
      input: 'tty; exit 3\n',
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.match(it.stdout, /\/dev\/pts\/\d+/);
    assert.equal(it.status, 3, it.stdout);
    const missing = docker(d, ['exec', 'ex', 'nosuchcmd']);
    assert.equal(missing.status, 127, missing.stderr + missing.stdout);
    docker(d, ['rm', '-f', 'ex']);
  });

  test('rmi refuses an image a container uses; -f on a running one only untags', () => {
    assert.equal(docker(d, ['tag', 'busybox', 'inuse:1']).status, 0);
    const id = docker(d, ['inspect', '-f', '{{.Id}}', 'busybox']).stdout.trim();
    assert.equal(docker(d, ['create', '--name', 'holder', '--network', 'none', 'inuse:1', 'true']).status, 0);
    // with another tag left, rmi only untags (as docker does); the last one is refused
    assert.equal(docker(d, ['rmi', 'busybox']).stdout, 'Untagged: busybox:latest\n');
    const refused = docker(d, ['rmi', 'inuse:1']);
    assert.notEqual(refused.status, 0);
    assert.match(
      refused.stderr,
      /conflict: unable to remove repository reference "inuse:1" \(must force\) - container [0-9a-f]{12} is using its referenced image/,
    );
    docker(d, ['rm', 'holder']);
    assert.equal(
      docker(d, ['run', '-d', '--name', 'holder2', '--network', 'none', 'inuse:1', 'sleep', '100']).status,
      0,
    );
    const forced = docker(d, ['rmi', '-f', 'inuse:1']);
    assert.equal(forced.status, 0, forced.stderr);
    assert.equal(forced.stdout, 'Untagged: inuse:1\n');
    assert.equal(docker(d, ['inspect', '-f', '{{.Id}}', id]).stdout.trim(), id);
    docker(d, ['rm', '-f', 'holder2']);
    assert.equal(docker(d, ['tag', id, 'busybox:latest']).status, 0);
  });
});
