// Container lifecycle through the real docker CLI against berthd: --init (PID 1 is docker-init,
// zombies reaped, signals forwarded, the child's status), healthchecks (healthy, unhealthy,
// timeout, start period, --no-healthcheck, ps and events), restart policies (no, on-failure:N,
// always, unless-stopped, docker stop, a berthd restart) and OOM kills (137, OOMKilled, `oom`).

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` until it holds (or fails the test after `ms`). */
async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('container lifecycle through the docker CLI', { concurrency: false }, () => {
  let d: Daemon;
  const since = () => String(Math.floor(Date.now() / 1000) - 1);
  const inspect = (name: string, format: string) => docker(d, ['inspect', '-f', format, name]).stdout.trim();
  const run = (name: string, args: string[]) => {
    const res = docker(d, ['run', '-d', '--name', name, '--network', 'none', ...args]);
    assert.equal(res.status, 0, res.stderr);
    return res.stdout.trim();
  };
  const actions = (name: string, from: string) =>
    docker(d, [
      'events',
      '--since',
      from,
      '--until',
      String(Math.ceil(Date.now() / 1000) + 1),
      '--filter',
      `container=${name}`,
      '--format',
      '{{.Action}}',
    ])
      .stdout.split('\n')
      .filter(Boolean);

  before(async () => {
    d = await startDaemon();
    importBusybox(d);
  });
  after(async () => {
    removeAllContainers(d);
    await cleanup(d);
  });

  describe('--init', () => {
    test('PID 1 is docker-init and the orphans it inherits are reaped', () => {
      const res = docker(d, [
        'run',
        '--rm',
        '--init',
        '--network',
        'none',
        'busybox',
        'sh',
        '-c',
        'sh -c "sleep 0.1 &"; sleep 1; ps -o pid,stat,comm',
      ]);
      assert.equal(res.status, 0, res.stderr);
      assert.match(res.stdout, /^\s*1\s+\S+\s+docker-init$/m);
      assert.doesNotMatch(res.stdout, /\sZ/);
      assert.match(docker(d, ['info', '-f', '{{.InitBinary}}']).stdout.trim(), /berth-init$/);
    });

    test('without an init the orphan stays a zombie; with one it is gone', async () => {
      const cmd = ['busybox', 'sh', '-c', 'sh -c "sleep 0.1 &"; exec sleep 100'];
      run('lc-zombie', cmd);
      run('lc-nozombie', ['--init', ...cmd]);
      await sleep(800);
      const ps = (name: string) => docker(d, ['exec', name, 'ps', '-o', 'pid,stat,comm']).stdout;
      assert.match(ps('lc-zombie'), /\sZ\s+sleep/);
      const reaped = ps('lc-nozombie');
      assert.doesNotMatch(reaped, /\sZ/);
      assert.match(reaped, /^\s*1\s+\S+\s+docker-init$/m);
      assert.equal(docker(d, ['rm', '-f', 'lc-zombie', 'lc-nozombie']).status, 0);
    });

    test('signals reach the child; its status (128 + signal when killed) is the container’s', async () => {
      run('lc-sig', [
        '--init',
        'busybox',
        'sh',
        '-c',
        'trap "echo got USR1" USR1; trap "echo got TERM; exit 5" TERM; echo ready; while true; do sleep 0.1; done',
      ]);
      await until('the trap', () => docker(d, ['logs', 'lc-sig']).stdout.includes('ready'));
      assert.equal(docker(d, ['kill', '-s', 'USR1', 'lc-sig']).status, 0);
      await until('USR1', () => docker(d, ['logs', 'lc-sig']).stdout.includes('got USR1'));
      assert.equal(docker(d, ['stop', '-t', '10', 'lc-sig']).status, 0);
      assert.equal(inspect('lc-sig', '{{.State.ExitCode}}'), '5');
      assert.match(docker(d, ['logs', 'lc-sig']).stdout, /got TERM/);
      // PID 1 without --init ignores TERM it has no handler for; the init's child does not
      const killed = docker(d, [
        'run',
        '--rm',
        '--init',
        '--network',
        'none',
        'busybox',
        'sh',
        '-c',
        'kill -TERM $$; sleep 5',
      ]);
      assert.equal(killed.status, 143, killed.stderr);
      const code = docker(d, ['run', '--rm', '--init', '--network', 'none', 'busybox', 'sh', '-c', 'exit 7']);
      assert.equal(code.status, 7, code.stderr);
    });
  });

  describe('healthchecks', () => {
    test('a passing probe makes the container healthy: inspect, ps, events', async () => {
      const from = since();
      run('lc-healthy', ['--health-cmd', 'echo hi', '--health-interval', '200ms', 'busybox', 'sleep', '100']);
      assert.match(inspect('lc-healthy', '{{.State.Health.Status}}'), /^(starting|healthy)$/);
      await until('healthy', () => inspect('lc-healthy', '{{.State.Health.Status}}') === 'healthy');
      const health = JSON.parse(inspect('lc-healthy', '{{json .State.Health}}'));
      assert.equal(health.FailingStreak, 0);
      assert.deepEqual(
        { ExitCode: health.Log[0].ExitCode, Output: health.Log[0].Output },
        { ExitCode: 0, Output: 'hi\n' },
      );
      assert.ok(Date.parse(health.Log[0].End) >= Date.parse(health.Log[0].Start));
      assert.match(
        docker(d, ['ps', '--filter', 'name=lc-healthy', '--format', '{{.Status}}']).stdout,
        /^Up .* \(healthy\)$/m,
      );
      assert.equal(
        docker(d, ['ps', '-q', '--filter', 'health=healthy', '--filter', 'name=lc-healthy']).stdout.trim()
          .length,
        12,
      );
      await until('five log entries', () => inspect('lc-healthy', '{{len .State.Health.Log}}') === '5');
      await sleep(500);
      assert.equal(inspect('lc-healthy', '{{len .State.Health.Log}}'), '5', 'the log keeps 5');
      const seen = actions('lc-healthy', from);
      assert.equal(seen.filter((a) => a === 'health_status: healthy').length, 1);
      assert.ok(
        seen.some((a) => a === 'exec_start: /bin/sh -c echo hi'),
        seen.join(','),
      );
      // stopped: unhealthy; started again: starting, the log kept
      assert.equal(docker(d, ['stop', '-t', '0', 'lc-healthy']).status, 0);
      assert.equal(inspect('lc-healthy', '{{.State.Health.Status}}'), 'unhealthy');
      assert.equal(docker(d, ['start', 'lc-healthy']).status, 0);
      assert.equal(
        inspect('lc-healthy', '{{.State.Health.Status}} {{.State.Health.FailingStreak}}'),
        'starting 0',
      );
      await until('healthy again', () => inspect('lc-healthy', '{{.State.Health.Status}}') === 'healthy');
      assert.equal(docker(d, ['rm', '-f', 'lc-healthy']).status, 0);
    });

    test('failing probes make it unhealthy after the retries; a timeout is exit code -1', async () => {
      const from = since();
      run('lc-sick', [
        '--health-cmd',
        'echo bad; exit 2',
        '--health-interval',
        '100ms',
        '--health-retries',
        '2',
        'busybox',
        'sleep',
        '100',
      ]);
      run('lc-slow', [
        '--health-cmd',
        'echo partial; sleep 5',
        '--health-interval',
        '100ms',
        '--health-timeout',
        '300ms',
        '--health-retries',
        '1',
        'busybox',
        'sleep',
        '100',
      ]);
      await until('unhealthy', () => inspect('lc-sick', '{{.State.Health.Status}}') === 'unhealthy');
      const sick = JSON.parse(inspect('lc-sick', '{{json .State.Health}}'));
      assert.ok(sick.FailingStreak >= 2);
      assert.deepEqual(
        { ExitCode: sick.Log[0].ExitCode, Output: sick.Log[0].Output },
        { ExitCode: 2, Output: 'bad\n' },
      );
      assert.match(
        docker(d, ['ps', '--filter', 'name=lc-sick', '--format', '{{.Status}}']).stdout,
        /\(unhealthy\)$/m,
      );
      assert.deepEqual(
        actions('lc-sick', from).filter((a) => a.startsWith('health_status')),
        ['health_status: unhealthy'],
      );
      await until('unhealthy', () => inspect('lc-slow', '{{.State.Health.Status}}') === 'unhealthy');
      const slow = JSON.parse(inspect('lc-slow', '{{json .State.Health}}'));
      assert.equal(slow.Log[0].ExitCode, -1);
      assert.match(slow.Log[0].Output, /^Health check exceeded timeout \(300ms\)/);
      // the timed-out probes were killed, not left to pile up (one may be running now)
      await until('three timeouts', () => Number(inspect('lc-slow', '{{len .State.Health.Log}}')) >= 3);
      const left = docker(d, ['exec', 'lc-slow', 'ps', '-o', 'args']).stdout.match(/sleep 5/g) ?? [];
      assert.ok(left.length <= 1, `${left.length} probes still running`);
      assert.equal(docker(d, ['rm', '-f', 'lc-sick', 'lc-slow']).status, 0);
    });

    test('failures within the start period do not count until the first success', async () => {
      run('lc-start', [
        '--health-cmd',
        'test -e /tmp/ready',
        '--health-interval',
        '100ms',
        '--health-start-period',
        '1m',
        '--health-start-interval',
        '100ms',
        '--health-retries',
        '1',
        'busybox',
        'sleep',
        '100',
      ]);
      await until('three failures', () => Number(inspect('lc-start', '{{len .State.Health.Log}}')) >= 3);
      assert.equal(
        inspect('lc-start', '{{.State.Health.Status}} {{.State.Health.FailingStreak}}'),
        'starting 0',
      );
      assert.equal(docker(d, ['exec', 'lc-start', 'touch', '/tmp/ready']).status, 0);
      await until('healthy', () => inspect('lc-start', '{{.State.Health.Status}}') === 'healthy');
      // healthy once: from now on failures count, start period or not
      assert.equal(docker(d, ['exec', 'lc-start', 'rm', '/tmp/ready']).status, 0);
      await until('unhealthy', () => inspect('lc-start', '{{.State.Health.Status}}') === 'unhealthy');
      assert.equal(docker(d, ['rm', '-f', 'lc-start']).status, 0);
    });

    test('--no-healthcheck: no State.Health, no probes', async () => {
      const from = since();
      run('lc-nohc', ['--no-healthcheck', 'busybox', 'sleep', '100']);
      assert.equal(
        inspect('lc-nohc', '{{json .State.Health}} {{json .Config.Healthcheck.Test}}'),
        'null ["NONE"]',
      );
      assert.doesNotMatch(
        docker(d, ['ps', '--filter', 'name=lc-nohc', '--format', '{{.Status}}']).stdout,
        /health/,
      );
      await sleep(300);
      assert.ok(!actions('lc-nohc', from).some((a) => a.startsWith('exec_')));
      assert.equal(docker(d, ['rm', '-f', 'lc-nohc']).status, 0);
    });
  });

  describe('restart policies', () => {
    const logLines = (name: string) => docker(d, ['logs', name]).stdout.split('\n').filter(Boolean).length;

    test('no: an exit stays an exit', async () => {
      run('lc-no', ['busybox', 'sh', '-c', 'echo run; exit 1']);
      await until('exit', () => inspect('lc-no', '{{.State.Status}}') === 'exited');
      await sleep(500);
      assert.equal(inspect('lc-no', '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}'), 'exited 0 1');
      assert.equal(logLines('lc-no'), 1);
    });

    test('on-failure:2 restarts twice, then stops; docker start counts afresh; exit 0 is not a failure', async () => {
      const from = since();
      run('lc-onfail', ['--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'echo run; exit 3']);
      await until(
        'two restarts',
        () => inspect('lc-onfail', '{{.RestartCount}} {{.State.Status}}') === '2 exited',
      );
      await sleep(1000);
      assert.equal(
        inspect('lc-onfail', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}'),
        '2 exited 3',
      );
      assert.equal(logLines('lc-onfail'), 3);
      const seen = actions('lc-onfail', from);
      assert.equal(seen.filter((a) => a === 'start').length, 3, seen.join(','));
      assert.equal(seen.filter((a) => a === 'die').length, 3, seen.join(','));
      assert.ok(!seen.includes('restart'), 'automatic restarts are starts, as in dockerd');
      assert.equal(docker(d, ['start', 'lc-onfail']).status, 0);
      await until(
        'three more runs',
        () => logLines('lc-onfail') === 6 && inspect('lc-onfail', '{{.State.Status}}') === 'exited',
      );
      assert.equal(inspect('lc-onfail', '{{.RestartCount}}'), '2');
      run('lc-onfail-ok', ['--restart', 'on-failure', 'busybox', 'sh', '-c', 'echo run; exit 0']);
      await until('exit', () => inspect('lc-onfail-ok', '{{.State.Status}}') === 'exited');
      await sleep(500);
      assert.equal(inspect('lc-onfail-ok', '{{.RestartCount}} {{.State.Status}}'), '0 exited');
    });

    test('always and unless-stopped restart on any exit; docker stop keeps them stopped', async () => {
      for (const policy of ['always', 'unless-stopped']) {
        const name = `lc-${policy}`;
        run(name, ['--restart', policy, 'busybox', 'sh', '-c', 'echo run; sleep 0.2; exit 0']);
        await until(`${policy} restarts`, () => Number(inspect(name, '{{.RestartCount}}')) >= 2);
        assert.equal(inspect(name, '{{.State.ExitCode}}'), '0');
        assert.equal(docker(d, ['stop', '-t', '1', name]).status, 0);
        const count = inspect(name, '{{.RestartCount}}');
        assert.equal(inspect(name, '{{.State.Status}}'), 'exited');
        await sleep(1200);
        assert.equal(inspect(name, '{{.State.Status}} {{.RestartCount}}'), `exited ${count}`);
        assert.equal(docker(d, ['rm', name]).status, 0);
      }
    });

    test('a berthd restart: an always container that exited meanwhile runs again; stopped ones as dockerd decides', async () => {
      const dir = join(d.dir, 'gate');
      mkdirSync(dir, { recursive: true });
      // runs until told (a file in the bind mount) to fail
      run('lc-back', [
        '--restart',
        'always',
        '-v',
        `${dir}:/gate`,
        'busybox',
        'sh',
        '-c',
        'echo run; while [ ! -e /gate/go ]; do sleep 0.1; done; rm /gate/go; exit 1',
      ]);
      run('lc-live', [
        '--restart',
        'always',
        '--health-cmd',
        'true',
        '--health-interval',
        '100ms',
        'busybox',
        'sleep',
        '100',
      ]);
      run('lc-stopped-always', ['--restart', 'always', 'busybox', 'sleep', '100']);
      run('lc-stopped-unless', ['--restart', 'unless-stopped', 'busybox', 'sleep', '100']);
      assert.equal(docker(d, ['stop', '-t', '0', 'lc-stopped-always', 'lc-stopped-unless']).status, 0);
      await until('healthy', () => inspect('lc-live', '{{.State.Health.Status}}') === 'healthy');
      const livePid = inspect('lc-live', '{{.State.Pid}}');

      let runs = 1;
      for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
        const pid = Number(inspect('lc-back', '{{.State.Pid}}'));
        d.process.kill(signal);
        await new Promise((r) => d.process.once('exit', r));
        // containers outlive berthd; this one exits while no berthd runs
        assert.ok(existsSync(`/proc/${pid}`), 'still running without berthd');
        writeFileSync(join(dir, 'go'), '');
        await until('the container to exit', () => !existsSync(`/proc/${pid}`));
        d = await startDaemon([], d.dir);
        runs++;
        await until(`lc-back running again after ${signal}`, () => logLines('lc-back') >= runs);
        await until('running', () => inspect('lc-back', '{{.State.Status}}') === 'running');
        assert.ok(Number(inspect('lc-back', '{{.RestartCount}}')) >= 1);
        if (signal === 'SIGKILL') {
          // live restore: the running one is the same process, still probed
          assert.equal(inspect('lc-live', '{{.State.Pid}}'), livePid);
          const end = inspect('lc-live', '{{(index .State.Health.Log 4).End}}');
          await until('a new probe', () => inspect('lc-live', '{{(index .State.Health.Log 4).End}}') !== end);
          assert.equal(inspect('lc-live', '{{.State.Health.Status}}'), 'healthy');
          // dockerd starts `always` containers when it starts, even stopped ones; unless-stopped it leaves
          await until(
            'lc-stopped-always running',
            () => inspect('lc-stopped-always', '{{.State.Status}}') === 'running',
          );
          assert.equal(inspect('lc-stopped-unless', '{{.State.Status}}'), 'exited');
        }
      }
    });

    test('a berthd that ends while an exec starts (a probe) leaves no exec shim waiting for START', async () => {
      // a probe every 5 ms: each stop is likely to fall between a probe's shim spawn and its START
      run('lc-probing', ['--health-cmd', 'true', '--health-interval', '5ms', 'busybox', 'sleep', '100']);
      const execShims = () =>
        readdirSync('/proc')
          .filter((p) => /^\d+$/.test(p))
          .filter((p) => {
            try {
              const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
              return (
                argv[0].endsWith('berth-shim') &&
                argv[argv.indexOf('--dir') + 1]?.startsWith(`${d.execRoot}/x/`)
              );
            } catch {
              return false;
            }
          });
      for (const signal of ['SIGTERM', 'SIGKILL', 'SIGTERM', 'SIGKILL', 'SIGTERM', 'SIGKILL'] as const) {
        await sleep(150 + Math.random() * 200);
        d.process.kill(signal);
        await new Promise((r) => d.process.once('exit', r));
        // the probes' own shims end with their process (`true`) within moments
        await until('no exec shim left', () => execShims().length === 0, 5_000).catch((err) => {
          for (const p of execShims()) process.kill(Number(p), 'SIGKILL');
          throw err;
        });
        d = await startDaemon([], d.dir);
      }
      assert.equal(docker(d, ['rm', '-f', 'lc-probing']).status, 0);
    });
  });

  describe('OOM', () => {
    test('a container over its memory limit is killed: 137, OOMKilled, an oom event', () => {
      const from = since();
      const res = docker(d, [
        'run',
        '--name',
        'lc-oom',
        '--network',
        'none',
        '-m',
        '8m',
        '--memory-swap',
        '8m',
        'busybox',
        'sh',
        '-c',
        'x=a; while true; do x=$x$x; done',
      ]);
      assert.equal(res.status, 137, res.stderr);
      assert.equal(
        inspect('lc-oom', '{{.State.ExitCode}} {{.State.OOMKilled}} {{.State.Status}}'),
        '137 true exited',
      );
      const seen = actions('lc-oom', from);
      assert.ok(seen.includes('oom'), seen.join(','));
      assert.ok(seen.indexOf('oom') < seen.indexOf('die'), seen.join(','));
      // a container killed otherwise is not OOMKilled, and a restart clears it
      run('lc-notoom', ['-m', '8m', '--memory-swap', '8m', 'busybox', 'sleep', '100']);
      assert.equal(docker(d, ['kill', 'lc-notoom']).status, 0);
      assert.equal(inspect('lc-notoom', '{{.State.ExitCode}} {{.State.OOMKilled}}'), '137 false');
    });

    test('tail /dev/zero under -m 8m is OOM-killed too', () => {
      const res = docker(d, [
        'run',
        '--rm',
        '--network',
        'none',
        '-m',
        '8m',
        '--memory-swap',
        '8m',
        'busybox',
        'tail',
        '/dev/zero',
      ]);
      assert.equal(res.status, 137, res.stderr);
    });
  });
});
