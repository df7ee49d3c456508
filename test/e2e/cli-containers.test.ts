// berth's container commands end to end. Client-side behaviour (flag errors, exit statuses,
// help) needs no daemon. The rest runs real containers through berthd once it serves the
// container API (skipped until then); BERTH_E2E_HOST=unix:///… points it at another daemon,
// e.g. the reference dockerd, to check the tests themselves.

import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeBusyboxRootfs } from '../fixtures/busybox.ts';
import { BERTH, berth, cleanup, type Daemon, startDaemon } from './daemon-helpers.ts';

const NOWHERE = 'unix:///nonexistent/berth.sock';

describe('container commands without a daemon', () => {
  test('a bad flag value: pflag text, the usage, status 125', () => {
    const res = berth(NOWHERE, ['run', '-m', 'x', 'busybox']);
    assert.equal(res.status, 125);
    assert.equal(
      res.stderr,
      `invalid argument "x" for "-m, --memory" flag: invalid size: 'x'\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth run --help' for more information\n`,
    );
  });

  test('conflicting options are refused before any request', () => {
    const res = berth(NOWHERE, ['create', '--rm', '--restart', 'always', 'busybox']);
    assert.equal(res.status, 125);
    assert.equal(
      res.stderr,
      "berth: conflicting options: cannot specify both --restart and --rm\n\nRun 'berth create --help' for more information\n",
    );
    const detach = berth(NOWHERE, ['run', '-d', '-a', 'stdout', 'busybox']);
    assert.equal(detach.status, 1);
    assert.equal(detach.stderr, 'conflicting options: cannot specify both --attach and --detach\n');
  });

  test('missing arguments: status 1', () => {
    const run = berth(NOWHERE, ['run']);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /^berth: 'berth run' requires at least 1 argument\n/);
    const exec = berth(NOWHERE, ['exec', 'web']);
    assert.equal(exec.status, 1);
    assert.match(exec.stderr, /'berth exec' requires at least 2 arguments/);
    // every command words it as docker 28 does; a bad flag is 125
    const rm = berth(NOWHERE, ['rm']);
    assert.equal(rm.status, 1);
    assert.equal(
      rm.stderr,
      "berth: 'berth rm' requires at least 1 argument\n\nUsage:  berth rm [OPTIONS] CONTAINER [CONTAINER...]\n\nSee 'berth rm --help' for more information\n",
    );
    const rename = berth(NOWHERE, ['rename', 'a']);
    assert.equal(rename.status, 1);
    assert.match(rename.stderr, /^berth: 'berth rename' requires 2 arguments\n/);
    const ps = berth(NOWHERE, ['ps', 'extra']);
    assert.equal(ps.status, 1);
    assert.match(ps.stderr, /^berth: 'berth ps' accepts no arguments\n/);
    const flag = berth(NOWHERE, ['ps', '-x']);
    assert.equal(flag.status, 125);
    assert.equal(
      flag.stderr,
      "unknown shorthand flag: 'x' in -x\n\nUsage:  berth ps [OPTIONS]\n\nRun 'berth ps --help' for more information\n",
    );
    const cp = berth(NOWHERE, ['cp', 'a', 'b']);
    assert.equal(cp.status, 1);
    assert.equal(cp.stderr, 'must specify at least one container source\n');
  });

  test('flags after the image belong to the command (the daemon is asked, not the parser)', () => {
    const res = berth(NOWHERE, ['run', 'busybox', 'ls', '-l', '--color']);
    assert.equal(res.status, 1);
    assert.match(res.stderr, /Cannot connect to the berth daemon/);
  });

  test('a reader that goes away ends berth quietly, status 141 as SIGPIPE in a shell', async () => {
    // stdout's reading end is closed before berth writes: its write fails with EPIPE
    const child = spawn(BERTH, ['--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const [code] = await once(child, 'close');
    assert.equal(stderr, '');
    assert.equal(code, 141);
  });

  test('--help lists the flags', () => {
    const res = berth(NOWHERE, ['container', 'run', '--help']);
    assert.equal(res.status, 0);
    assert.match(res.stdout, /Usage: {2}berth run \[OPTIONS\] IMAGE \[COMMAND\] \[ARG\.\.\.\]/);
    assert.match(res.stdout, /-m, --memory bytes +Memory limit/);
    assert.match(res.stdout, /--sig-proxy +Proxy received signals to the process \(default true\)/);
  });
});

/** Whether the daemon serves GET /containers/json (berthd gains it separately). */
function servesContainers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/containers/json', method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

describe('container commands through a daemon', { concurrency: false }, () => {
  let d: Daemon | undefined;
  let host = process.env.BERTH_E2E_HOST ?? '';
  let skip: string | false = false;
  const b = (args: string[], input?: string) => {
    const res = spawnSync(BERTH, ['-H', host, ...args], {
      encoding: 'utf8',
      input,
      timeout: 60_000,
      env: { ...process.env, BERTH_HOST: '', DOCKER_HOST: '' },
    });
    return { status: res.status ?? 128, stdout: res.stdout, stderr: res.stderr };
  };
  const names: string[] = [];
  const name = (n: string) => {
    const full = `berth-e2e-${process.pid}-${n}`;
    names.push(full);
    return full;
  };

  before(async () => {
    if (!host) {
      d = await startDaemon();
      host = d.host;
    }
    if (!(await servesContainers(host.slice('unix://'.length)))) {
      skip = 'the daemon does not serve the container API yet';
      return;
    }
    if (b(['image', 'inspect', 'busybox']).status !== 0) {
      const dir = mkdtempSync(join(tmpdir(), 'berth-e2e-busybox-'));
      makeBusyboxRootfs(join(dir, 'rootfs'));
      execFileSync('tar', ['-C', join(dir, 'rootfs'), '-cf', join(dir, 'rootfs.tar'), '.']);
      const res = spawnSync('docker', [
        '-H',
        host,
        'import',
        '-c',
        'CMD ["sh"]',
        join(dir, 'rootfs.tar'),
        'busybox:latest',
      ]);
      rmSync(dir, { recursive: true, force: true });
      if (res.status !== 0) skip = `cannot import busybox: ${res.stderr}`;
    }
  });
  after(async () => {
    if (names.length && !skip) b(['rm', '-f', ...names]);
    if (d) await cleanup(d);
  });

  test('run: output, the exit status passed through, stdin with -i', (t) => {
    if (skip) return t.skip(skip);
    const hi = b([
      'run',
      '--rm',
      '--network',
      'none',
      'busybox',
      'sh',
      '-c',
      'echo out; echo err >&2; exit 3',
    ]);
    assert.deepEqual([hi.status, hi.stdout, hi.stderr], [3, 'out\n', 'err\n']);
    const cat = b(
      ['run', '--rm', '-i', '--network', 'none', 'busybox', 'sh', '-c', 'cat; echo end'],
      'piped\n',
    );
    assert.deepEqual([cat.status, cat.stdout], [0, 'piped\nend\n']);
    const flags = b(['run', '--rm', '--network', 'none', 'busybox', 'echo', '-n', '-l']);
    assert.equal(flags.stdout, '-l');
  });

  test('run: a missing program is 127, a missing image 125', (t) => {
    if (skip) return t.skip(skip);
    assert.equal(b(['run', '--rm', '--network', 'none', 'busybox', 'nosuchcmd']).status, 127);
    // --pull never: the test contacts no registry (a pull would ask Docker Hub)
    const missing = b(['run', '--rm', '--pull', 'never', '--network', 'none', 'nosuch-image-e2e']);
    assert.equal(missing.status, 125);
    assert.match(missing.stderr, /^Unable to find image 'nosuch-image-e2e:latest' locally\n/);
  });

  test('run -d, ps, logs, exec, stop, inspect, rm', (t) => {
    if (skip) return t.skip(skip);
    const n = name('web');
    const run = b([
      'run',
      '-d',
      '--name',
      n,
      '--network',
      'none',
      '-l',
      'e2e=1',
      'busybox',
      'sh',
      '-c',
      'echo started; exec sleep 300',
    ]);
    assert.equal(run.status, 0, run.stderr);
    const id = run.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = b(['ps', '--filter', `name=${n}`, '--format', '{{.ID}} {{.Names}} {{.Labels}} {{.State}}']);
    assert.equal(ps.stdout, `${id.slice(0, 12)} ${n} e2e=1 running\n`);
    assert.equal(b(['ps', '-q', '--no-trunc', '--filter', `name=${n}`]).stdout, `${id}\n`);
    // the tables as the docker CLI prints them from the same daemon (both asked again when the
    // clock moved a CREATED or STATUS word between the two)
    for (const args of [
      ['ps', '--filter', `name=${n}`],
      ['ps', '-a', '--no-trunc', '--filter', `name=${n}`],
    ]) {
      let ours = '';
      let theirs: string | undefined;
      for (let i = 0; i < 3 && ours !== theirs; i++) {
        ours = b(args).stdout;
        theirs = spawnSync('docker', ['-H', host, ...args], { encoding: 'utf8' }).stdout;
      }
      assert.equal(ours, theirs);
      assert.match(
        ours,
        new RegExp(`^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES\n.* ${n}\n$`),
      );
    }
    for (let i = 0; i < 50 && b(['logs', n]).stdout === ''; i++) spawnSync('sleep', ['0.1']);
    assert.equal(b(['logs', n]).stdout, 'started\n');
    const exec = b(['exec', '-e', 'A=1', n, 'sh', '-c', 'echo $A; exit 4']);
    assert.deepEqual([exec.status, exec.stdout], [4, '1\n']);
    assert.equal(b(['inspect', '-f', '{{.State.Running}} {{.Name}}', n]).stdout, `true /${n}\n`);
    assert.equal(b(['stop', '-t', '1', n]).stdout, `${n}\n`);
    assert.equal(b(['container', 'inspect', '-f', '{{.State.Running}}', n]).stdout, 'false\n');
    assert.equal(b(['rm', n]).stdout, `${n}\n`);
    const gone = b(['container', 'inspect', n]);
    assert.deepEqual(
      [gone.status, gone.stdout, gone.stderr],
      [1, '[]\n', `Error response from daemon: No such container: ${n}\n`],
    );
  });

  test('cp both ways', (t) => {
    if (skip) return t.skip(skip);
    const n = name('cp');
    assert.equal(b(['run', '-d', '--name', n, '--network', 'none', 'busybox', 'sleep', '300']).status, 0);
    const dir = mkdtempSync(join(tmpdir(), 'berth-e2e-cp-'));
    try {
      writeFileSync(join(dir, 'in.txt'), 'hello');
      assert.equal(b(['cp', join(dir, 'in.txt'), `${n}:/tmp/copied`]).status, 0);
      assert.equal(b(['exec', n, 'cat', '/tmp/copied']).stdout, 'hello');
      const out = b(['cp', `${n}:/tmp/copied`, join(dir, 'out.txt')]);
      assert.equal(out.status, 0, out.stderr);
      assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), 'hello');
      // a destination the daemon cannot stat (a file with a trailing /): as the docker CLI
      const intoFile = b(['cp', join(dir, 'in.txt'), `${n}:/tmp/copied/`]);
      assert.equal(intoFile.status, 1);
      assert.equal(intoFile.stderr, 'no such directory\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
