// The warm CLI worker (native/berth-warm/WARM.md): a command handed to a pre-started worker must
// behave exactly as a cold start — exit codes, signals, stdio (pipes and a pty), environment,
// cwd — and every failure before the worker takes it must fall back to a cold start. A small
// CommonJS app stands in for the bundle (the front-end runs any), then `berth run -it` runs
// through the real bundle under a pty. Each test file has its own socket directory
// (BERTH_CLI_WARM_DIR); BERTH_CLI_WARM_DEBUG=1 makes the front-end say which way it ran.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BERTH, cleanup, type Daemon, importBusybox, ROOT, startDaemon } from './daemon-helpers.ts';

const FRONT = join(ROOT, 'native', 'build', 'berth-warm');
const NODE = join(ROOT, 'node_modules', 'node', 'bin', 'node');
const WORKER = join(ROOT, 'build', 'warm-worker.cjs');
const CACHE = join(ROOT, 'build', 'code-cache.cjs');
const dir = mkdtempSync(join(tmpdir(), 'berth-warm-'));
const sockets = join(dir, 'sockets');
mkdirSync(sockets, { mode: 0o700 });
const app = join(dir, 'app.cjs');

// argv[2] picks what the app does; everything it sees is printed as JSON.
const APP = `const [what, arg] = process.argv.slice(2);
const info = () => JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd(), foo: process.env.FOO,
  umask: process.umask(), tty: process.stdout.isTTY === true, cols: process.stdout.columns ?? null, pid: process.pid,
  nice: [...new Set(require('node:fs').readdirSync('/proc/self/task').map((t) => require('node:os').getPriority(Number(t))))],
  autogroup: autogroupNice('self') });
// a process that no setsid() ever moved (CI's, under an init that starts it without one) is in the
// root autogroup, whose file is empty: that group weighs as nice 0, as a new autogroup does
const autogroupNice = (pid) => { try { const line = require('node:fs').readFileSync('/proc/' + pid + '/autogroup', 'utf8'); return line === '' ? 0 : Number(/nice (-?\\d+)/.exec(line)[1]); } catch { return null; } };
if (what === 'info') process.stdout.write(info() + '\\n');
if (what === 'exit') process.exitCode = Number(arg);
if (what === 'fd3') { try { require('node:fs').writeSync(3, 'leaked'); } catch {} process.stdout.write('done\\n'); }
if (what === 'slow-exit') setTimeout(() => (process.exitCode = Number(arg)), 500);
if (what === 'echo') {
  let all = '';
  process.stdin.on('data', (c) => (all += c));
  process.stdin.on('end', () => { process.stdout.write(all.toUpperCase()); process.stderr.write('err:' + all.length); });
}
if (what === 'trap') {
  process.on('SIGTERM', () => { process.stdout.write('got SIGTERM\\n'); process.exit(3); });
  process.on('SIGUSR1', () => process.stdout.write('got SIGUSR1\\n'));
  process.stdout.write('ready ' + process.pid + '\\n');
  setTimeout(() => {}, 20000);
}
// the bundle's use of http and child_process makes the worker warm them up (warm-up.ts) first
if (what === 'resources') {
  require('node:http');
  require('node:child_process');
  const fs = require('node:fs');
  const children = fs.readdirSync('/proc/self/task').map((t) => fs.readFileSync('/proc/self/task/' + t + '/children', 'utf8').trim()).filter(Boolean);
  process.stdout.write(JSON.stringify({ resources: process.getActiveResourcesInfo(), children, gc: typeof gc,
    stderr: process.stderr.constructor.name, stdin: process.stdin.constructor.name }) + '\\n');
}
if (what === 'wait') { process.stdout.write('ready ' + process.pid + '\\n'); setTimeout(() => require('node:fs').writeFileSync(arg, 'ran'), 1500); }
if (what === 'pty') {
  process.stdin.setRawMode(true);
  process.stdout.write('raw ' + process.stdin.isRaw + ' ' + info() + '\\r\\n');
  process.stdout.on('resize', () => process.stdout.write('resized ' + process.stdout.columns + 'x' + process.stdout.rows + '\\r\\n'));
  process.stdin.on('data', (c) => { if (String(c).includes('q')) { process.stdin.setRawMode(false); process.exit(6); } });
}
`;
writeFileSync(app, APP);

after(() => {
  stopWorkers(true);
  rmSync(dir, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({
  ...process.env,
  BERTH_CLI_WARM_DIR: sockets,
  BERTH_CLI_WARM_DEBUG: '1',
  NODE_COMPILE_CACHE: '',
  ...extra,
});

/** The front-end exactly as bin/berth runs it, on the test app. */
function run(args: string[], opts: { input?: string; env?: Record<string, string>; cwd?: string } = {}) {
  const res = spawnSync(...clean([FRONT, NODE, WORKER, CACHE, app, ...args]), {
    encoding: 'utf8',
    input: opts.input ?? '',
    env: env(opts.env),
    cwd: opts.cwd,
    timeout: 30_000,
  });
  return {
    status: res.status,
    signal: res.signal,
    stdout: res.stdout,
    stderr: res.stderr,
    how: how(res.stderr),
  };
}

/**
 * The front-end runs cold when it inherits fds beyond stdio (they may be the command's); a test
 * runner started with some open gets them closed here, through bash.
 */
const leaked = readdirSync('/proc/self/fd')
  .map(Number)
  .filter((fd) => {
    try {
      return (
        fd > 2 &&
        (Number.parseInt(/flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1], 8) &
          0o2000000) ===
          0
      );
    } catch {
      return false;
    }
  });
const clean = (argv: string[]): [string, string[]] =>
  leaked.length
    ? ['bash', ['-c', `exec ${leaked.map((fd) => `${fd}>&-`).join(' ')} "$@"`, 'bash', ...argv]]
    : [argv[0], argv.slice(1)];

const how = (stderr: string) => /berth-warm: (warm|cold)/.exec(stderr)?.[1];

/** The worker processes started for this file's socket directory (pending ones included). */
function workers(anyTool = false): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        const environ = readFileSync(`/proc/${p}/environ`, 'utf8').split('\0');
        return (
          cmd.includes(WORKER) &&
          (anyTool || cmd.includes(app)) &&
          environ.includes(`BERTH_CLI_WARM_DIR=${sockets}`)
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

function stopWorkers(all = false) {
  for (const pid of all ? workers(true) : workers()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Runs `info` until one run goes warm, then waits for that worker's successor to start. */
async function warmUp() {
  for (let i = 0; i < 50; i++) {
    if (run(['info']).how === 'warm') {
      await new Promise((r) => setTimeout(r, 300));
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail('no run went warm');
}

describe('berth-warm', { concurrency: false }, () => {
  test('exit codes, argv, env, cwd and umask as a cold start', async () => {
    const cold = run(['info', 'a b', ''], { env: { FOO: 'bar', BERTH_CLI_WARM: '0' }, cwd: dir });
    assert.equal(cold.how, 'cold');
    await warmUp();
    const warm = run(['info', 'a b', ''], { env: { FOO: 'bar' }, cwd: dir });
    assert.equal(warm.how, 'warm', warm.stderr);
    const [c, w] = [JSON.parse(cold.stdout), JSON.parse(warm.stdout)];
    assert.notEqual(w.pid, c.pid);
    delete c.pid;
    delete w.pid;
    assert.deepEqual(w, c);
    assert.deepEqual(w.argv, ['info', 'a b', '']);
    assert.equal(w.cwd, dir);
    assert.equal(w.foo, 'bar');
    await warmUp();
    const code = run(['exit', '42']);
    assert.equal(code.how, 'warm');
    assert.equal(code.status, 42);
  });

  test('the warm-up leaves no handles, children or gc behind, and stdio to the command', async () => {
    const cold = run(['resources'], { env: { BERTH_CLI_WARM: '0' } });
    assert.equal(cold.how, 'cold');
    await warmUp();
    const warm = run(['resources']);
    assert.equal(warm.how, 'warm', warm.stderr);
    assert.deepEqual(JSON.parse(warm.stdout), JSON.parse(cold.stdout));
    assert.deepEqual(JSON.parse(warm.stdout).children, []);
  });

  test('stdin, stdout and stderr are the caller’s pipes', async () => {
    await warmUp();
    const res = run(['echo'], { input: 'hello through the worker\n'.repeat(5000) });
    assert.equal(res.how, 'warm', res.stderr);
    assert.equal(res.stdout, 'HELLO THROUGH THE WORKER\n'.repeat(5000));
    assert.match(res.stderr, /err:125000/);
  });

  test('signals reach the command; a death by signal is the front-end’s', async () => {
    await warmUp();
    const trapped = await background(['trap'], (child, pid) => {
      child.kill('SIGUSR1');
      setTimeout(() => child.kill('SIGTERM'), 300);
      return pid;
    });
    assert.equal(trapped.how, 'warm', trapped.stderr);
    assert.match(trapped.stdout, /got SIGUSR1\ngot SIGTERM\n/);
    assert.equal(trapped.status, 3);
    // the app's own death by SIGKILL (as the OOM killer would) is reported as such
    await warmUp();
    const killed = await background(['wait', join(dir, 'never')], (_child, pid) =>
      process.kill(pid, 'SIGKILL'),
    );
    assert.equal(killed.how, 'warm');
    assert.equal(killed.signal, 'SIGKILL');
    // the front-end killed: the command goes with it, as a cold one would
    await warmUp();
    const marker = join(dir, 'orphan');
    const gone = await background(['wait', marker], (child) => child.kill('SIGKILL'));
    assert.equal(gone.signal, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(existsSync(marker), false, 'the worker did not outlive its client');
  });

  test('a pty: raw mode, the terminal size, SIGWINCH and the exit status', async () => {
    await warmUp();
    const res = underPty(
      [FRONT, NODE, WORKER, CACHE, app, 'pty'],
      [
        ['wait', 'raw true'],
        ['resize', 40, 120],
        ['wait', 'resized 120x40'],
        ['send', 'q'],
      ],
    );
    assert.match(res.output, /berth-warm: warm/);
    assert.match(res.output, /raw true .*"tty":true,"cols":80/);
    assert.equal(res.status, 6, res.output);
  });

  test('a successor loading beside a command: its autogroup lowered (as root) until that command ends, not for its own', async () => {
    const agNice = (pid: number) =>
      Number(/nice (-?\d+)/.exec(readFileSync(`/proc/${pid}/autogroup`, 'utf8'))?.[1]);
    // the Node processes (workers() also lists their supervisors)
    const nodes = () => workers().filter((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(NODE));
    await warmUp();
    const pending = nodes();
    let during: { successor: number; nice: number; second: Ran } | undefined;
    const first = await background(['wait', join(dir, 'ag-done')], async (_child, pid) => {
      await new Promise((r) => setTimeout(r, 300));
      const successor = nodes().find((p) => p !== pid && !pending.includes(p)) ?? 0;
      const nice = successor ? agNice(successor) : Number.NaN;
      // a command meanwhile takes that successor, and runs at the nice value 0 of a new autogroup
      during = { successor, nice, second: run(['info']) };
    });
    assert.equal(first.how, 'warm', first.stderr);
    assert.ok(during && during.successor > 0, 'a successor was pending during the command');
    if (process.getuid?.() === 0) assert.equal(during.nice, 19, 'lowered while the command ran');
    assert.equal(during.second.how, 'warm', during.second.stderr);
    assert.match(during.second.stderr, new RegExp(`warm: ${during.successor}\\b`));
    const info = JSON.parse(during.second.stdout);
    assert.deepEqual([info.autogroup, info.nice], [0, [0]]);
    // and the successors pending once the commands have ended are at 0
    await new Promise((r) => setTimeout(r, 300));
    const next = nodes().filter((p) => p !== during!.successor && !pending.includes(p));
    assert.ok(next.length >= 1);
    assert.deepEqual(
      next.map(agNice),
      next.map(() => 0),
      'given back once the commands ended',
    );
  });

  test('concurrent commands: one warm, the others cold, all correct', async () => {
    await warmUp();
    const runs = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        background(['slow-exit', String(10 + i)], (_c, pid) => pid, { waitReady: false }),
      ),
    );
    for (const [i, r] of runs.entries()) assert.equal(r.status, 10 + i, r.stderr);
    // each worker takes one command; those that find none busy run cold (or wait for a new one)
    const pids = runs.map((r) => /berth-warm: warm: (\d+)/.exec(r.stderr)?.[1]).filter(Boolean);
    assert.ok(pids.length >= 1 && pids.length < 4, runs.map((r) => r.stderr).join(''));
    assert.equal(new Set(pids).size, pids.length);
  });

  test('a changed bundle, a killed worker, BERTH_CLI_WARM=0, fds for the command: cold and correct; a stray fd: warm', async () => {
    await warmUp();
    writeFileSync(app, `${APP}\nif (what === 'v2') process.stdout.write('v2\\n');\n`);
    const stale = run(['v2']);
    assert.equal(stale.how, 'cold', stale.stderr);
    assert.match(stale.stderr, /refused/);
    assert.equal(stale.stdout, 'v2\n');
    await warmUp();
    assert.equal(run(['v2']).how, 'warm');
    await warmUp();
    stopWorkers();
    await new Promise((r) => setTimeout(r, 200));
    const afterKill = run(['exit', '4']);
    assert.equal(afterKill.how, 'cold');
    assert.equal(afterKill.status, 4);
    await warmUp();
    const off = run(['exit', '5'], { env: { BERTH_CLI_WARM: '0' } });
    assert.equal(off.how, 'cold');
    assert.equal(off.status, 5);
    const node = run(['exit', '6'], { env: { NODE_OPTIONS: '--no-warnings' } });
    assert.equal(node.how, 'cold');
    assert.equal(node.status, 6);
    // fds handed to the command: cold
    const preserve = run(['exit', '8', '--preserve-fds', '1']);
    assert.equal(preserve.how, 'cold');
    assert.equal(preserve.status, 8);
    const listen = run(['exit', '9'], { env: { LISTEN_FDS: '1' } });
    assert.equal(listen.how, 'cold');
    assert.equal(listen.status, 9);
    // an fd the caller left open is not the command's: warm, and the worker does not get it
    await warmUp();
    const fd3 = spawnSync(...clean([FRONT, NODE, WORKER, CACHE, app, 'fd3']), {
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    assert.equal(how(fd3.stderr), 'warm', fd3.stderr);
    assert.equal(fd3.status, 0, fd3.stderr);
    assert.equal(fd3.stdout, 'done\n');
    assert.equal(fd3.output[3], '', "the caller's fd 3 did not reach the worker");
  });

  test('a chain of workers started in a directory removed since: still warm', async () => {
    // supervisors and their workers keep the cwd of the command that started the chain
    stopWorkers(); // (one may end between the listing and its kill: a CI run saw ESRCH)
    await new Promise((r) => setTimeout(r, 200));
    const gone = mkdtempSync(join(dir, 'gone-'));
    let warm = false;
    for (let i = 0; i < 50 && !warm; i++) {
      warm = run(['info'], { cwd: gone }).how === 'warm';
      if (!warm) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(warm, 'a run in the directory went warm');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(gone, { recursive: true });
    // the worker pending now loaded before the removal; the one after it loads in a removed cwd
    assert.equal(run(['info']).how, 'warm');
    await new Promise((r) => setTimeout(r, 1000));
    const after = run(['info']);
    assert.equal(after.how, 'warm', after.stderr);
    assert.equal(JSON.parse(after.stdout).cwd, process.cwd());
  });
});

interface Ran {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  how: string | undefined;
}

/** Runs the app in the background; once it prints `ready PID`, calls `act`. */
function background(
  args: string[],
  act: (child: ReturnType<typeof spawn>, pid: number) => unknown,
  opts: { waitReady?: boolean } = {},
): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(...clean([FRONT, NODE, WORKER, CACHE, app, ...args]), {
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let acted = false;
    child.stdout.on('data', (c) => {
      stdout += c;
      const m = /ready (\d+)/.exec(stdout);
      if (m && !acted) {
        acted = true;
        act(child, Number(m[1]));
      }
    });
    child.stderr.on('data', (c) => (stderr += c));
    if (opts.waitReady === false) act(child, 0);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr, how: how(stderr) }));
  });
}

/** Runs argv under a new pty (python3's pty module): steps send input, wait for output, resize. */
function underPty(argv: string[], steps: (string | number)[][], extraEnv: Record<string, string> = {}) {
  const script = `
import fcntl, json, os, pty, re, select, struct, sys, termios, time
argv, steps = json.loads(sys.argv[1]), json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
    os.execvp(argv[0], argv)
out = b''
def pump(t):
    global out
    r, _, _ = select.select([fd], [], [], t)
    if r:
        try: out += os.read(fd, 65536)
        except OSError: return False
    return True
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
for step in steps:
    if step[0] == 'send': os.write(fd, step[1].encode())
    elif step[0] == 'resize': fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', step[1], step[2], 0, 0))
    elif step[0] == 'sleep': time.sleep(step[1])
    elif step[0] == 'wait':
        end = time.time() + 20
        while not re.search(step[1].encode(), out) and time.time() < end:
            if not pump(0.1): break
status = None
end = time.time() + 30
while status is None and time.time() < end:
    pump(0.1)
    w = os.waitpid(pid, os.WNOHANG)
    if w[0] == pid: status = os.waitstatus_to_exitcode(w[1])
while pump(0.05): pass
print(json.dumps({'output': out.decode(errors='replace'), 'status': status}))
`;
  const res = spawnSync(
    ...clean(['python3', '-c', script, JSON.stringify(clean(argv).flat()), JSON.stringify(steps)]),
    {
      encoding: 'utf8',
      env: env(extraEnv),
      timeout: 60_000,
    },
  );
  assert.equal(res.status, 0, res.stderr);
  return JSON.parse(res.stdout) as { output: string; status: number | null };
}

describe('berth run -it through the worker', { concurrency: false }, () => {
  let d: Daemon | undefined;
  let skip: string | false = false;
  const berthEnv = () => ({ BERTH_HOST: d ? d.host : '', DOCKER_HOST: '' });
  before(async () => {
    d = await startDaemon();
    try {
      importBusybox(d);
    } catch (err) {
      skip = `cannot import busybox: ${(err as Error).message}`;
    }
  });
  after(async () => {
    if (d) {
      spawnSync(BERTH, ['rm', '-f', `warm-it-${process.pid}`], { env: env(berthEnv()) });
      await cleanup(d);
    }
  });

  test('raw mode, the size and its changes, detach keys, the exit status', async (t) => {
    if (skip) return t.skip(skip);
    // two runs start the worker; the third must be warm
    for (let i = 0; i < 3; i++) {
      spawnSync(...clean([BERTH, 'version', '--format', '{{.Client.Version}}']), { env: env(berthEnv()) });
      await new Promise((r) => setTimeout(r, 400));
    }
    const shell = underPty(
      [BERTH, 'run', '-it', '--rm', '--network', 'none', 'busybox', 'sh'],
      [
        ['wait', '# '],
        ['send', 'stty size; echo a-$((6*7))\r'],
        ['wait', 'a-42'],
        ['resize', 33, 101],
        ['sleep', 0.5],
        ['send', 'stty size; exit 5\r'],
      ],
      berthEnv(),
    );
    assert.match(shell.output, /berth-warm: warm/);
    assert.match(shell.output, /24 80\r\n/);
    assert.match(shell.output, /33 101\r\n/);
    assert.equal(shell.status, 5, shell.output);
    await new Promise((r) => setTimeout(r, 400));
    const name = `warm-it-${process.pid}`;
    const detached = underPty(
      [BERTH, 'run', '-it', '--name', name, '--network', 'none', 'busybox', 'sh'],
      [
        ['wait', '# '],
        ['send', '\x10\x11'],
      ],
      berthEnv(),
    );
    assert.match(detached.output, /berth-warm: warm/);
    assert.equal(detached.status, 0, detached.output);
    const state = spawnSync(BERTH, ['inspect', '-f', '{{.State.Running}}', name], {
      env: env(berthEnv()),
      encoding: 'utf8',
    });
    assert.equal(state.stdout.trim(), 'true', state.stderr);
  });
});
