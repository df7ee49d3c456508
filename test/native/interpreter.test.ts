// native/berth-exec run on plans built here as data: namespaces, mounts, safe paths, caps,
// credentials, seccomp, rlimits, hooks, the console, create/start, exec, and the error paths.
// Needs root; every test removes its bundles, cgroup directories and processes.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { encodePlan } from '../../src/plan/encode.ts';
import type { ChildStep, HookStep, Namespace, ParentStep, Plan, PreStep } from '../../src/plan/types.ts';
import { makeBundle } from '../fixtures/busybox.ts';
import { ptyReceiver } from '../helpers/pty-receiver.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'native/build/berth-exec');
const PATH_ENV = 'PATH=/bin:/sbin:/usr/bin:/usr/sbin';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  report: string;
}

/** Runs berth-exec with the plan on fd 3 and a report pipe on fd 4. */
function run(plan: Plan | string, stdio: { stdout?: number; stderr?: number } = {}): Promise<Result> {
  const child = spawn(BIN, ['/proc/self/fd/3'], {
    stdio: ['ignore', stdio.stdout ?? 'pipe', stdio.stderr ?? 'pipe', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '', report: '' };
  child.stdout?.on('data', (d) => (out.stdout += d));
  child.stderr?.on('data', (d) => (out.stderr += d));
  (child.stdio[4] as NodeJS.ReadableStream).on('data', (d) => (out.report += d));
  (child.stdio[3] as NodeJS.WritableStream).end(typeof plan === 'string' ? plan : encodePlan(plan));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...out }));
  });
}

const sh = (cmd: string) => ['/bin/sh', '-c', cmd];

function mount(
  rootfs: string,
  dest: string,
  source: string,
  type: string,
  flags: string[] = [],
  data = '',
  mkdir: 'dir' | 'file' | 'none' = 'dir',
): ChildStep {
  return { op: 'mount', root: rootfs, dest, source, type, flags, data, mkdir };
}

interface Options {
  flags?: Namespace[];
  pre?: PreStep[];
  /** @parent steps before the first sync (userns-map, cgroup-join, hooks …). */
  parent?: ParentStep[];
  /** @parent steps after the last sync, before report-pid. */
  parentEnd?: ParentStep[];
  /** @child steps before pivot_root (root-relative mounts). */
  setup?: ChildStep[];
  /** @child steps after pivot_root. */
  post?: ChildStep[];
  /** @child steps after the last sync, before exec. */
  last?: ChildStep[];
  wait?: boolean;
  exec: string[];
  env?: string[];
}

/** A container plan in the compiler's shape: rootfs bind, proc, /dev tmpfs, pivot_root. */
function containerPlan(rootfs: string, o: Options): Plan {
  const flags = o.flags ?? ['mnt', 'pid', 'uts', 'ipc'];
  return {
    version: 1,
    pre: [{ op: 'report', fd: 4 }, ...(o.pre ?? []), { op: 'clone', flags }],
    parent: [
      ...(o.parent ?? []),
      { op: 'sync' },
      { op: 'sync' },
      ...(o.parentEnd ?? []),
      { op: 'report-pid' },
      ...(o.wait === false ? [] : [{ op: 'wait-child' } as const]),
    ],
    child: [
      { op: 'sync' },
      ...(flags.includes('user') ? [{ op: 'become-root' } as const] : []),
      { op: 'propagate', path: '/', mode: 'rprivate' },
      mount('', rootfs, rootfs, '', ['bind', 'rec'], '', 'none'),
      mount(rootfs, '/proc', 'proc', 'proc', ['nosuid', 'nodev', 'noexec']),
      mount(rootfs, '/dev', 'tmpfs', 'tmpfs', ['nosuid'], 'mode=755'),
      ...(o.setup ?? []),
      { op: 'pivot-root', path: rootfs, mode: 'pivot' },
      ...(o.post ?? []),
      { op: 'sync' },
      ...(o.last ?? []),
      { op: 'exec', arg: o.exec, env: o.env ?? [PATH_ENV] },
    ],
  };
}

const bundles: { cleanup(): void }[] = [];
function rootfs(): string {
  const b = makeBundle({});
  bundles.push(b);
  chmodSync(b.dir, 0o755); // reachable from a user namespace's root (uid 100000)
  return b.rootfs;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-native-'));
  bundles.push({ cleanup: () => rmSync(dir, { recursive: true, force: true }) });
  return dir;
}

const cgroups: string[] = [];
function cgroupPath(): string {
  const path = `/sys/fs/cgroup/pids/berth-native-test-${process.pid}-${cgroups.length}`;
  cgroups.push(path);
  return path;
}

function rmCgroup(path: string): void {
  if (!existsSync(path)) return;
  for (const sub of ['a/b', 'a', '']) {
    try {
      rmSync(join(path, sub), { recursive: false, force: true });
    } catch {
      try {
        execFileSync('rmdir', [join(path, sub)], { stdio: 'ignore' });
      } catch {}
    }
  }
}

function pidOf(report: string): number {
  const m = /^pid (\d+)$/m.exec(report);
  assert.ok(m, `no pid line in report: ${report}`);
  return Number(m[1]);
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

before(() => execFileSync('make', ['-s', '-C', join(ROOT, 'native')], { stdio: 'inherit' }));
after(() => {
  for (const b of bundles) b.cleanup();
  for (const c of cgroups) rmCgroup(c);
});

describe('plan parsing', () => {
  const bad: [string, string, RegExp][] = [
    [
      'wrong version',
      'berth-plan 2\n@pre\nclone flags=\n@parent\n@child\n',
      /line 1: unsupported plan version `2`/,
    ],
    [
      'unknown op',
      'berth-plan 1\n@pre\nfrobnicate x=1\nclone flags=\n@parent\n@child\n',
      /line 3: unknown op `frobnicate`/,
    ],
    [
      'unknown field',
      'berth-plan 1\n@pre\nclone flags= colour=red\n@parent\n@child\n',
      /line 3: `clone` has no field `colour`/,
    ],
    [
      'missing field',
      'berth-plan 1\n@pre\nclone\n@parent\n@child\n',
      /line 3: `clone` needs exactly one `flags=`/,
    ],
    [
      'raw space escape',
      'berth-plan 1\n@pre\nclone flags=%2\n@parent\n@child\n',
      /line 3: bad percent escape/,
    ],
    [
      'op in wrong section',
      'berth-plan 1\n@pre\nexec arg=/bin/true\nclone flags=\n@parent\n@child\n',
      /line 3: `exec` is not allowed/,
    ],
    [
      'bad number',
      'berth-plan 1\n@pre\nreport fd=four\nclone flags=\n@parent\n@child\n',
      /line 3: bad value `four` for `fd`/,
    ],
    [
      'sections out of order',
      'berth-plan 1\n@pre\nclone flags=\n@child\n@parent\n',
      /line 4: expected @parent/,
    ],
    ['no final newline', 'berth-plan 1\n@pre\nclone flags=\n@parent\n@child', /does not end with a newline/],
    [
      'clone not last',
      'berth-plan 1\n@pre\nclone flags=\nreport fd=4\n@parent\n@child\n',
      /clone` must be the last step/,
    ],
  ];
  for (const [name, text, re] of bad) {
    test(`refuses: ${name}`, async () => {
      const r = await run(text);
      assert.equal(r.code, 1);
      assert.match(r.stderr, re);
    });
  }

  test('does nothing before the whole plan is checked', async () => {
    const cg = cgroupPath();
    const r = await run(
      `berth-plan 1\n@pre\ncgroup-mkdir path=${cg}\nclone flags=\n@parent\n@child\nbogus\n`,
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /line 7: unknown op `bogus`/);
    assert.equal(existsSync(cg), false);
  });
});

describe('containers', () => {
  test('pid 1 in a new pid namespace, hostname, proc, exit status and report', async () => {
    const root = rootfs();
    const r = await run(
      containerPlan(root, {
        post: [{ op: 'hostname', value: 'berth-box' }],
        exec: sh('echo pid=$$; hostname; test -e /proc/self/status && echo proc; exit 7'),
      }),
    );
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, 'pid=1\nberth-box\nproc\n');
    assert.equal(r.code, 7);
    assert.match(r.report, /^pid \d+\nexit 7\n$/);
  });

  test('tmpfs, devpts, bind read-only, mknod, symlink', async () => {
    const root = rootfs();
    const data = tempDir();
    writeFileSync(join(data, 'file'), 'hello\n');
    const dev = (dest: string, minor: number): ChildStep => ({
      op: 'mknod',
      root,
      dest,
      kind: 'c',
      mode: '666',
      major: 1,
      minor,
      uid: 0,
      gid: 0,
    });
    const r = await run(
      containerPlan(root, {
        setup: [
          mount(root, '/run/x', 'tmpfs', 'tmpfs', ['nosuid', 'nodev'], 'size=1m'),
          mount(root, '/dev/pts', 'devpts', 'devpts', ['nosuid', 'noexec'], 'newinstance,ptmxmode=0666'),
          mount(root, '/data', data, '', ['bind']),
          { op: 'remount', root, dest: '/data', flags: ['bind', 'ro'] },
          dev('/dev/null', 3),
          dev('/dev/null', 3), // the same node again: kept
          { op: 'symlink', root, dest: '/dev/fd', target: '/proc/self/fd' },
          { op: 'symlink', root, dest: '/dev/fd', target: '/proc/self/fd' },
        ],
        exec: sh(
          'grep -E " /run/x | /dev/pts | /data " /proc/mounts | cut -d" " -f2,3,4 | cut -d, -f1;' +
            'cat /data/file; touch /data/new 2>&1; echo x > /dev/null && ls -l /dev/null | cut -c1-10;' +
            'readlink /dev/fd',
        ),
      }),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      '/run/x tmpfs rw\n/dev/pts devpts rw\n/data ext4 ro\nhello\n' +
        'touch: /data/new: Read-only file system\ncrw-rw-rw-\n/proc/self/fd\n',
    );
    assert.equal(existsSync(join(data, 'new')), false);
  });

  test('masked and read-only paths; missing ones are skipped', async () => {
    const root = rootfs();
    writeFileSync(join(root, 'secret'), 'top secret\n');
    mkdirSync(join(root, 'secretdir'));
    writeFileSync(join(root, 'secretdir/a'), 'a\n');
    const r = await run(
      containerPlan(root, {
        setup: [
          {
            op: 'mknod',
            root,
            dest: '/dev/null',
            kind: 'c',
            mode: '666',
            major: 1,
            minor: 3,
            uid: 0,
            gid: 0,
          },
        ],
        post: [
          { op: 'mask', path: '/secret' },
          { op: 'mask', path: '/secretdir' },
          { op: 'mask', path: '/no/such/path' },
          { op: 'readonly', path: '/etc' },
          { op: 'readonly', path: '/no/such/path' },
          { op: 'readonly', path: '/proc/sys' },
        ],
        exec: sh(
          'cat /secret; ls /secretdir; touch /secretdir/x /etc/x 2>&1; echo 1 > /proc/sys/kernel/domainname',
        ),
      }),
    );
    assert.equal(
      r.stdout,
      'touch: /secretdir/x: Read-only file system\ntouch: /etc/x: Read-only file system\n',
    );
    assert.match(r.stderr, /Read-only file system/);
    assert.equal(readFileSync(join(root, 'secret'), 'utf8'), 'top secret\n');
  });

  test('remount-root-ro and pivot-root mode=move', async () => {
    const root = rootfs();
    const plan = containerPlan(root, {
      post: [{ op: 'remount-root-ro' }],
      exec: sh('touch /x 2>&1; exit 0'),
    });
    for (const step of plan.child) if (step.op === 'pivot-root') step.mode = 'move';
    const r = await run(plan);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'touch: /x: Read-only file system\n');
  });

  test('a symlink in the rootfs cannot lead a mount, mkdir, node or link out of it', async () => {
    const root = rootfs();
    symlinkSync('/etc', join(root, 'evil'));
    symlinkSync('../../../../../../etc', join(root, 'evil2'));
    const marker = `berth-escape-${process.pid}`;
    const r = await run(
      containerPlan(root, {
        setup: [
          mount(root, `/evil/${marker}/deep`, 'tmpfs', 'tmpfs'),
          mount(root, `/evil2/${marker}-file`, '/etc/hostname', '', ['bind'], '', 'file'),
          { op: 'symlink', root, dest: `/evil/${marker}-link`, target: '/x' },
          {
            op: 'mknod',
            root,
            dest: `/evil2/${marker}-fifo`,
            kind: 'p',
            mode: '600',
            major: 0,
            minor: 0,
            uid: 0,
            gid: 0,
          },
        ],
        exec: sh(`grep -c ${marker} /proc/mounts`),
      }),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '2\n');
    for (const suffix of ['', '-file', '-link', '-fifo']) {
      assert.equal(existsSync(`/etc/${marker}${suffix}`), false, `host /etc/${marker}${suffix}`);
      assert.ok(existsSync(join(root, 'etc', `${marker}${suffix}`)) || suffix === '-link');
    }
    assert.equal(readFileSync(join(root, 'etc', `${marker}-file`), 'utf8'), '');
  });

  test('capabilities, user and groups, no_new_privs, rlimits, umask, chdir', async () => {
    const root = rootfs();
    const keep = ((1n << 0n) | (1n << 10n)).toString(16); // CAP_CHOWN, CAP_NET_BIND_SERVICE
    const r = await run(
      containerPlan(root, {
        post: [
          { op: 'rlimit', resource: 'RLIMIT_NOFILE', soft: '100', hard: '200' },
          { op: 'caps-bounding', keep },
          { op: 'user', uid: 1000, gid: 1001, group: [10, 20], setgroups: 1 },
          { op: 'umask', value: '0027' },
          { op: 'caps', effective: '400', permitted: keep, inheritable: '400', ambient: '400' },
          { op: 'no-new-privs' },
          { op: 'chdir', path: '/tmp' },
        ],
        exec: sh(
          'grep -E "^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)" /proc/self/status | tr -s "\\t" " ";' +
            'ulimit -n; ulimit -Hn; umask; pwd',
        ),
      }),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'Uid: 1000 1000 1000 1000',
        'Gid: 1001 1001 1001 1001',
        'Groups: 10 20 ',
        'CapInh: 0000000000000400',
        'CapPrm: 0000000000000400',
        'CapEff: 0000000000000400',
        'CapBnd: 0000000000000401',
        'CapAmb: 0000000000000400',
        'NoNewPrivs: 1',
        '100',
        '200',
        '0027',
        '/tmp',
        '',
      ].join('\n'),
    );
  });

  test('raising an rlimit above the hard limit fails and names the limit', async () => {
    const root = rootfs();
    const r = await run(
      containerPlan(root, {
        post: [
          { op: 'caps-bounding', keep: '0' },
          { op: 'caps', effective: '0', permitted: '0', inheritable: '0', ambient: '0' },
          { op: 'rlimit', resource: 'RLIMIT_NOFILE', soft: '10', hard: 'unlimited' },
        ],
        exec: ['/bin/true'],
      }),
    );
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /step \d+ \(rlimit\): setrlimit RLIMIT_NOFILE soft=10 hard=unlimited: Operation not permitted/,
    );
  });

  /** seccomp steps denying mkdir (EPERM) and personality(255) (EINVAL); `cache` optional. */
  const seccomp = (cache?: string): ChildStep[] => [
    { op: 'no-new-privs' },
    {
      op: 'seccomp',
      'default-action': 'SCMP_ACT_ALLOW',
      'default-errno': 1,
      arch: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      flag: ['SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
      ...(cache ? { cache } : {}),
    } as ChildStep,
    {
      op: 'seccomp-rule',
      action: 'SCMP_ACT_ERRNO',
      errno: 1,
      name: ['mkdir', 'mkdirat', 'no_such_syscall'],
      arg: [],
    },
    { op: 'seccomp-rule', action: 'SCMP_ACT_ALLOW', errno: 0, name: ['getpid'], arg: [] },
    {
      op: 'seccomp-rule',
      action: 'SCMP_ACT_ERRNO',
      errno: 22,
      name: ['personality'],
      arg: ['0:SCMP_CMP_EQ:255:0'],
    },
    { op: 'seccomp-load' },
  ];
  const seccompCheck = sh('mkdir /tmp/x; grep Seccomp: /proc/self/status | tr -s "\\t" " "; exit 0');

  test('seccomp: an ERRNO rule denies mkdir with EPERM', async () => {
    const r = await run(containerPlan(rootfs(), { post: seccomp(), exec: seccompCheck }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /mkdir: can't create directory '\/tmp\/x': Operation not permitted/);
    assert.match(r.stdout, /Seccomp: 2/);
  });

  test('seccomp: the compiled filter is cached; a foreign or broken entry is not used', async () => {
    const cache = join(tempDir(), 'seccomp');
    const root = rootfs();
    const first = await run(containerPlan(root, { post: seccomp(cache), exec: seccompCheck }));
    const entries = readdirSync(cache);
    assert.equal(entries.length, 1);
    const entry = join(cache, entries[0]);
    const bytes = readFileSync(entry);
    const second = await run(containerPlan(root, { post: seccomp(cache), exec: seccompCheck }));
    writeFileSync(entry, Buffer.concat([bytes.subarray(0, bytes.length - 8), Buffer.alloc(8)]));
    const third = await run(containerPlan(root, { post: seccomp(cache), exec: seccompCheck }));
    for (const r of [first, second, third]) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /mkdir: can't create directory '\/tmp\/x': Operation not permitted/);
    }
    assert.deepEqual(readFileSync(entry), bytes); // the broken entry was compiled again
  });

  test('seccomp: a bad rule fails at its step, before the child exists', async () => {
    const steps = seccomp();
    steps[3] = {
      op: 'seccomp-rule',
      action: 'SCMP_ACT_ERRNO',
      errno: 1,
      name: ['read'],
      arg: ['9:SCMP_CMP_EQ:1:0'],
    };
    const plan = containerPlan(rootfs(), { post: steps, exec: ['/bin/true'] });
    const number = plan.pre.length + plan.parent.length + plan.child.indexOf(steps[3]) + 1;
    const r = await run(plan);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `berth-exec: step ${number} (seccomp-rule): seccomp-rule: bad arg \`9:SCMP_CMP_EQ:1:0\` (index:op:value:valueTwo): Invalid argument\n`,
    );
    assert.doesNotMatch(r.report, /^pid/m);
  });

  test('user namespace with a uid map to 100000', async () => {
    const root = rootfs();
    const map = '0 100000 65536\n';
    const r = await run(
      containerPlan(root, {
        flags: ['user', 'mnt', 'pid', 'uts', 'ipc'],
        parent: [{ op: 'userns-map', uid: map, gid: map, setgroups: 'deny' }],
        post: [{ op: 'hostname', value: 'userns' }],
        exec: sh(
          'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups | tr -s " "; id -u; hostname',
        ),
      }),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, ' 0 100000 65536\n 0 100000 65536\ndeny\n0\nuserns\n');
  });

  test('mknod in a user namespace fails with EPERM, clearly', async () => {
    const root = rootfs();
    const map = '0 100000 65536\n';
    const r = await run(
      containerPlan(root, {
        flags: ['user', 'mnt', 'pid'],
        parent: [{ op: 'userns-map', uid: map, gid: map, setgroups: 'deny' }],
        setup: [
          {
            op: 'mknod',
            root,
            dest: '/dev/null',
            kind: 'c',
            mode: '666',
            major: 1,
            minor: 3,
            uid: 0,
            gid: 0,
          },
        ],
        exec: ['/bin/true'],
      }),
    );
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^berth-exec: step \d+ \(mknod\): mknod `\/dev\/null`: Operation not permitted\n$/,
    );
  });
});

describe('errors', () => {
  test('a failing mount names step, op, path and errno; cgroups it made are removed', async () => {
    const root = rootfs();
    const cg = cgroupPath();
    const pidfile = join(tempDir(), 'pid');
    const fifo = join(tempDir(), 'exec.fifo');
    const plan = containerPlan(root, {
      pre: [
        { op: 'cgroup-mkdir', path: `${cg}/a/b` },
        { op: 'exec-fifo', path: fifo },
      ],
      parent: [
        { op: 'cgroup-join', path: `${cg}/a/b/cgroup.procs` },
        { op: 'pidfile', path: pidfile },
      ],
      setup: [mount(root, '/mnt', 'none', 'nosuchfs')],
      exec: ['/bin/true'],
    });
    const step =
      plan.pre.length +
      plan.parent.length +
      plan.child.findIndex((s) => s.op === 'mount' && s.type === 'nosuchfs') +
      1;
    const r = await run(plan);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `berth-exec: step ${step} (mount): mount \`none\` on \`/mnt\`: No such device\n`);
    assert.equal(
      r.report,
      `error ${step} mount 19 mount%20%60none%60%20on%20%60/mnt%60:%20No%20such%20device\n`,
    );
    assert.equal(existsSync(cg), false);
    assert.equal(existsSync(pidfile), false);
    assert.equal(existsSync(fifo), false);
  });

  test('a failing @pre step reports and exits 1', async () => {
    const r = await run(
      containerPlan(rootfs(), {
        pre: [{ op: 'cgroup-write', path: '/nonexistent/x', value: '1' }],
        exec: ['/bin/true'],
      }),
    );
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'berth-exec: step 2 (cgroup-write): open `/nonexistent/x`: No such file or directory\n',
    );
    assert.match(r.report, /^error 2 cgroup-write 2 open%20%60/);
  });

  test('exec: not found in the plan PATH is 127, not executable is 126', async () => {
    const root = rootfs();
    writeFileSync(join(root, 'bin/notexec'), '#!/bin/sh\n');
    chmodSync(join(root, 'bin/notexec'), 0o644);
    const missing = await run(containerPlan(root, { exec: ['nosuchcmd'], env: ['PATH=/usr/bin:/bin'] }));
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /\(exec\): exec: `nosuchcmd`: executable file not found in \$PATH\n$/);
    assert.match(missing.report, /^pid \d+\nerror \d+ exec 2 exec:%20%60nosuchcmd%60/);
    // found through PATH from the plan, not berth-exec's own (which has no /bin/busybox applet `ash`)
    const found = await run(containerPlan(root, { exec: ['ash', '-c', 'echo ok'] }));
    assert.equal(found.stdout, 'ok\n');
    const denied = await run(containerPlan(root, { exec: ['/bin/notexec'] }));
    assert.equal(denied.code, 126);
    assert.match(denied.stderr, /exec `\/bin\/notexec`: Permission denied/);
  });
});

describe('processes', () => {
  test('create-style: the parent exits, the child (root of a user namespace) waits for start', async () => {
    const root = rootfs();
    const dir = tempDir();
    chmodSync(dir, 0o700); // the child reaches the fifo through its fd, not the path
    const fifo = join(dir, 'exec.fifo'); // berth-exec makes it
    chownSync(root, 100000, 100000); // the container's root may write /started
    const map = '0 100000 65536\n';
    const log = openSync(join(dir, 'log'), 'w');
    const r = await run(
      containerPlan(root, {
        flags: ['user', 'mnt', 'pid'],
        parent: [{ op: 'userns-map', uid: map, gid: map, setgroups: 'deny' }],
        pre: [{ op: 'exec-fifo', path: fifo }],
        wait: false,
        last: [{ op: 'wait-start' }],
        exec: sh('echo started > /started; echo out'),
      }),
      { stdout: log, stderr: log },
    );
    closeSync(log);
    assert.equal(r.code, 0);
    const pid = pidOf(r.report);
    assert.ok(alive(pid));
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(existsSync(join(root, 'started')), false);
    assert.equal(statSync(fifo).mode & 0o7777, 0o622);
    const fd = openSync(fifo, 'r');
    const buf = Buffer.alloc(4);
    assert.equal(readSync(fd, buf), 1);
    assert.equal(buf.toString('utf8', 0, 1), '0');
    closeSync(fd);
    await waitFor(() => existsSync(join(root, 'started')) && !alive(pid));
    assert.equal(readFileSync(join(dir, 'log'), 'utf8'), 'out\n');
  });

  test('exec-style: setns into a running container', async () => {
    const root = rootfs();
    const dir = tempDir();
    const log = openSync(join(dir, 'log'), 'w');
    const first = await run(
      containerPlan(root, {
        post: [{ op: 'hostname', value: 'target' }],
        wait: false,
        exec: ['/bin/sleep', '30'],
      }),
      { stdout: log, stderr: log },
    );
    closeSync(log);
    const pid = pidOf(first.report);
    try {
      const ns = (t: Namespace, name = t): PreStep | ChildStep => ({
        op: 'setns',
        path: `/proc/${pid}/ns/${name}`,
        type: t,
      });
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      const r = await run({
        version: 1,
        pre: [
          { op: 'report', fd: 4 },
          { op: 'pin-pid', pid, start },
          ns('uts') as PreStep,
          ns('ipc') as PreStep,
          ns('pid') as PreStep,
          { op: 'clone', flags: [] },
        ],
        parent: [{ op: 'sync' }, { op: 'sync' }, { op: 'report-pid' }, { op: 'wait-child' }],
        child: [
          { op: 'sync' },
          ns('mnt', 'mnt') as ChildStep,
          { op: 'chdir', path: '/' },
          { op: 'sync' },
          {
            op: 'exec',
            arg: sh('hostname; echo $$; cat /proc/1/cmdline | tr "\\0" " "; echo'),
            env: [PATH_ENV],
          },
        ],
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'target\n2\n/bin/sleep 30 \n');
      assert.match(r.report, /^pid \d+\nexit 0\n$/);
      // the same pid with another start time: a reused pid is never joined
      const stale = await run({
        version: 1,
        pre: [
          { op: 'report', fd: 4 },
          { op: 'pin-pid', pid, start: '1' },
          ns('uts') as PreStep,
          { op: 'clone', flags: [] },
        ],
        parent: [{ op: 'sync' }, { op: 'sync' }, { op: 'report-pid' }, { op: 'wait-child' }],
        child: [{ op: 'sync' }, { op: 'sync' }, { op: 'exec', arg: ['/bin/true'], env: [PATH_ENV] }],
      });
      assert.equal(stale.code, 1);
      assert.match(stale.report, /^error 2 pin-pid 3 /);
      assert.match(stale.stderr, /container process \d+ is gone/);
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });

  test('wait-child forwards signals and reports 128+signal', async () => {
    const root = rootfs();
    // no pid namespace: sleep is not an init and dies of SIGTERM
    const plan = containerPlan(root, { flags: ['mnt'], exec: ['/bin/sleep', '30'] });
    const child = spawn(BIN, ['/proc/self/fd/3'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    let report = '';
    (child.stdio[4] as NodeJS.ReadableStream).on('data', (d) => (report += d));
    (child.stdio[3] as NodeJS.WritableStream).end(encodePlan(plan));
    const closed = new Promise((res) => child.on('close', (c) => res(c)));
    await waitFor(() => report.startsWith('pid '));
    const pid = pidOf(report);
    child.kill('SIGTERM');
    try {
      assert.equal(await closed, 143);
      assert.equal(report, `pid ${pid}\nexit 143\n`);
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});

describe('hooks', () => {
  const state = (path: string, name: string, cmd: string, timeout = 0): HookStep => ({
    op: 'hook',
    name,
    path,
    arg: ['sh', '-c', cmd],
    env: [PATH_ENV, 'HOOK=1'],
    timeout,
    'state-prefix': '{"ociVersion":"1.2.0","id":"c1","status":"created","pid":',
    'state-suffix': ',"bundle":"/b"}',
  });

  test('parent and child hooks receive the state JSON on stdin', async () => {
    const root = rootfs();
    const out = join(tempDir(), 'state.json');
    const r = await run(
      containerPlan(root, {
        parentEnd: [state('/bin/sh', 'prestart', `(cat; echo; echo "$HOOK") > ${out}`)],
        last: [state('/bin/sh', 'startContainer', 'cat; echo')],
        exec: ['/bin/true'],
      }),
    );
    assert.equal(r.code, 0, r.stderr);
    const pid = pidOf(r.report);
    const [json, env] = readFileSync(out, 'utf8').split('\n');
    assert.deepEqual(JSON.parse(json), {
      ociVersion: '1.2.0',
      id: 'c1',
      status: 'created',
      pid,
      bundle: '/b',
    });
    assert.equal(env, '1');
    assert.equal(JSON.parse(r.stdout).pid, pid);
  });

  test('a failing hook fails the step with its status and first stderr line', async () => {
    const root = rootfs();
    const cg = cgroupPath();
    const r = await run(
      containerPlan(root, {
        pre: [{ op: 'cgroup-mkdir', path: cg }],
        parentEnd: [state('/bin/sh', 'prestart', 'echo boom >&2; echo more >&2; exit 3')],
        exec: ['/bin/true'],
      }),
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\(hook\): hook `prestart` `\/bin\/sh` exited with status 3: boom\n$/);
    assert.equal(existsSync(cg), false);
  });

  test('a hook that outlives its timeout is killed', async () => {
    const t0 = Date.now();
    const r = await run(
      containerPlan(rootfs(), {
        parentEnd: [state('/bin/sh', 'poststart', 'sleep 10', 1)],
        exec: ['/bin/true'],
      }),
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /hook `poststart` `\/bin\/sh` timed out after 1 s/);
    assert.ok(Date.now() - t0 < 5000);
  });
});

describe('console', () => {
  test('console-pty sends the master over the socket and the container gets a tty', async () => {
    const root = rootfs();
    const dir = tempDir();
    const sock = join(dir, 'console.sock');
    const receiver = ptyReceiver(sock);
    await receiver.ready;
    const r = await run(
      containerPlan(root, {
        setup: [
          mount(
            root,
            '/dev/pts',
            'devpts',
            'devpts',
            ['nosuid', 'noexec'],
            'newinstance,ptmxmode=0666,mode=0620',
          ),
          { op: 'symlink', root, dest: '/dev/ptmx', target: 'pts/ptmx' },
        ],
        pre: [{ op: 'console-connect', path: sock }],
        post: [{ op: 'setsid' }, { op: 'console-pty', rows: 33, cols: 101 }],
        exec: sh('tty; stty size'),
      }),
    );
    const got = await receiver.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(got.replace(/\r/g, ''), 'ready\nname /dev/pts/0\n/dev/pts/0\n33 101\n');
  });
});
