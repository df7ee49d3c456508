// The same checks against bin/berth-runtime and runc: isolation, capabilities, seccomp, masked
// and read-only paths, user namespaces, cgroup limits, the console socket, exec, the
// create/start/kill/delete state machine and hooks.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { detectCgroupLayout } from '../../src/runtime/cgroups/detect.ts';
import { cgroupDriver } from '../../src/runtime/cgroups/driver.ts';
import { capMask } from '../../src/spec/capabilities.ts';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../src/spec/docker/defaults.ts';
import { resolveDockerSeccomp } from '../../src/spec/docker/seccomp.ts';
import { ptyReceiver } from '../helpers/pty-receiver.ts';
import {
  bundle,
  leftoverCgroups,
  type RuntimeUnderTest,
  rt,
  rtDetached,
  runtimes,
  sh,
  type TestBundle,
} from './runtime-helpers.ts';

const cgroups = cgroupDriver(detectCgroupLayout());

function run(r: RuntimeUnderTest, b: TestBundle, extra: string[] = []) {
  return rt(r, ['run', ...extra, '--bundle', b.dir, b.id]);
}

function withBundle<T>(b: TestBundle, fn: (b: TestBundle) => T): T {
  try {
    return fn(b);
  } finally {
    b.cleanup();
  }
}

async function withBundleAsync<T>(
  r: RuntimeUnderTest,
  b: TestBundle,
  fn: (b: TestBundle) => Promise<T>,
): Promise<T> {
  try {
    return await fn(b);
  } finally {
    rt(r, ['delete', '--force', b.id]);
    b.cleanup();
  }
}

const mountPoints = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => {
      const f = l.split(' ');
      return `${f[4]} ${f[f.indexOf('-') + 1]}`;
    })
    .sort();

for (const r of runtimes()) {
  describe(`runtime ${r.name}`, { concurrency: false }, () => {
    test('pid 1, an isolated process list, the hostname', () => {
      const b = bundle(sh('echo $$; ps -o pid= | wc -l; hostname'), (s) => {
        s.hostname = 'box-e2e';
      });
      withBundle(b, () => {
        const res = run(r, b);
        assert.equal(res.status, 0, res.stderr);
        const [pid, count, hostname] = res.stdout.trim().split('\n');
        assert.equal(pid, '1');
        assert.ok(Number(count) <= 3, `container sees ${count} processes`);
        assert.equal(hostname, 'box-e2e');
      });
    });

    test('mount table', () => {
      const b = bundle(sh('cat /proc/self/mountinfo'));
      withBundle(b, () => {
        const res = run(r, b);
        assert.equal(res.status, 0, res.stderr);
        const mounts = mountPoints(res.stdout);
        for (const m of [
          '/ ',
          '/proc proc',
          '/dev tmpfs',
          '/dev/pts devpts',
          '/dev/shm tmpfs',
          '/dev/mqueue mqueue',
          '/sys sysfs',
        ]) {
          assert.ok(
            mounts.some((x) => x.startsWith(m)),
            `${m} in ${mounts.join(', ')}`,
          );
        }
        assert.ok(
          mounts.some((x) => x.startsWith('/proc/keys ')),
          'masked /proc/keys',
        );
        assert.ok(mounts.includes('/proc/acpi tmpfs'), 'masked /proc/acpi');
        assert.ok(
          mounts.some((x) => x.startsWith('/sys/fs/cgroup/memory ')),
          'cgroup v1 hierarchies bound in',
        );
        assert.ok(
          res.stdout.split('\n').some((l) => l.split(' ')[4] === '/' && / ro[, ]/.test(l)),
          'read-only root',
        );
      });
    });

    test('CapEff equals the configured set; seccomp mode 2 denies with EPERM', () => {
      const caps = [...DOCKER_DEFAULT_CAPABILITIES];
      const b = bundle(
        sh(
          'grep -E "^(CapEff|Seccomp):" /proc/self/status; unshare -U true; echo unshare=$?; mkdir /tmp/ok && echo mkdir=ok',
        ),
        (s) => {
          s.process!.capabilities = { bounding: caps, effective: caps, permitted: caps };
          s.root!.readonly = false;
          s.linux!.seccomp = resolveDockerSeccomp({
            capabilities: caps,
            arch: 'amd64',
            kernel: { major: 6, minor: 1 },
          });
        },
      );
      withBundle(b, () => {
        const res = run(r, b);
        assert.equal(res.status, 0, res.stderr);
        const want = capMask(caps, 40).padStart(16, '0');
        assert.match(res.stdout, new RegExp(`CapEff:\\s+${want}`));
        assert.match(res.stdout, /Seccomp:\s+2/);
        assert.match(res.stdout, /unshare=1/);
        assert.match(res.stderr, /Operation not permitted/);
        assert.match(res.stdout, /mkdir=ok/);
      });
    });

    test('masked /proc/kcore and read-only /proc/sys', () => {
      // this kernel may lack /proc/kcore; /proc/keys and /proc/acpi are masked the same way
      const kcore = existsSync('/proc/kcore') ? 'wc -c < /proc/kcore' : 'echo 0';
      const b = bundle(
        sh(
          `${kcore}; wc -c < /proc/keys; ls /proc/acpi | wc -l; echo x > /proc/sys/kernel/domainname; echo write=$?`,
        ),
      );
      withBundle(b, () => {
        const res = run(r, b);
        assert.equal(res.status, 0, res.stderr);
        assert.match(res.stdout, /^\s*0\n\s*0\n\s*0\n/);
        assert.match(res.stdout, /write=1/);
        assert.match(res.stderr, /Read-only file system/);
      });
    });

    test('user namespace: root inside is an unprivileged uid outside', async () => {
      const b = bundle(['sleep', '30'], (s) => {
        s.linux!.namespaces!.push({ type: 'user' });
        s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      });
      await withBundleAsync(r, b, async () => {
        const res = rtDetached(r, ['run', '--detach', '--bundle', b.dir, b.id]);
        assert.equal(res.status, 0, res.stderr);
        const pid = JSON.parse(rt(r, ['state', b.id]).stdout).pid as number;
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        assert.match(status, /^Uid:\s+100000\s+100000/m);
        const inside = rt(r, ['exec', b.id, 'id', '-u']);
        assert.equal(inside.stdout.trim(), '0', inside.stderr);
      });
    });

    test('memory limit: a hog is OOM-killed and the kill detected', () => {
      const b = bundle(sh('x=a; while true; do x="$x$x"; done'), (s) => {
        s.linux!.resources = {
          ...s.linux!.resources,
          memory: { limit: 32 * 1024 * 1024, swap: 32 * 1024 * 1024 },
        };
      });
      withBundle(b, () => {
        const res = run(r, b, ['--keep']);
        try {
          assert.equal(res.status, 137, `exit ${res.status}: ${res.stderr}`);
          assert.ok(cgroups.oomKilled(b.cgroupsPath) >= 1, 'the OOM kill is counted');
        } finally {
          rt(r, ['delete', '--force', b.id]);
        }
      });
    });

    test('pids limit stops a fork bomb', () => {
      const b = bundle(sh('for i in $(seq 30); do sleep 3 & done 2>&1; wait; echo done'), (s) => {
        s.linux!.resources = { ...s.linux!.resources, pids: { limit: 8 } };
      });
      withBundle(b, () => {
        const res = run(r, b);
        assert.match(res.stdout + res.stderr, /can't fork/);
      });
    });

    test('cpu quota visible in the cgroup, which is read-only inside', () => {
      const b = bundle(
        sh(
          'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us; echo 1 > /sys/fs/cgroup/cpu/cpu.shares',
        ),
        (s) => {
          s.linux!.resources = { ...s.linux!.resources, cpu: { quota: 50000, period: 100000 } };
        },
      );
      withBundle(b, () => {
        const res = run(r, b);
        assert.equal(res.stdout, '50000\n100000\n');
        assert.equal(res.status, 1);
        assert.match(res.stderr, /Read-only file system/);
      });
    });

    test('a pty through --console-socket', async () => {
      const b = bundle(sh('tty; stty size'), (s) => {
        s.process!.terminal = true;
        s.process!.consoleSize = { height: 30, width: 90 };
      });
      await withBundleAsync(r, b, async () => {
        const sock = join(b.dir, 'console.sock');
        const receiver = ptyReceiver(sock);
        await receiver.ready;
        const created = rtDetached(r, ['create', '--console-socket', sock, '--bundle', b.dir, b.id]);
        assert.equal(created.status, 0, created.stderr);
        const started = rtDetached(r, ['start', b.id]);
        assert.equal(started.status, 0, started.stderr);
        const got = await receiver.done;
        assert.match(got.replace(/\r/g, ''), /\/dev\/pts\/\d+\n30 90\n/);
      });
    });

    test("run with a terminal in the foreground relays the caller's tty", () => {
      const b = bundle(sh('read line; echo "got $line"; tty; exit 3'), (s) => {
        s.process!.terminal = true;
      });
      withBundle(b, () => {
        // script(1) gives the runtime a terminal as its stdin/stdout, as a user's shell would
        const cmd = `${r.bin} --root ${r.root} run --bundle ${b.dir} ${b.id}`;
        const res = spawnSync('script', ['-qec', cmd, '/dev/null'], {
          input: 'hello\n',
          encoding: 'utf8',
          timeout: 30_000,
        });
        assert.equal(res.status, 3, res.stdout + res.stderr);
        assert.match(res.stdout.replace(/\r/g, ''), /got hello\n\/dev\/pts\/0\n/);
      });
    });

    test("exec -t in the foreground relays the caller's tty", async () => {
      const b = bundle(['sleep', '30']);
      await withBundleAsync(r, b, async () => {
        assert.equal(rtDetached(r, ['run', '--detach', '--bundle', b.dir, b.id]).status, 0);
        const cmd = `${r.bin} --root ${r.root} exec -t ${b.id} sh -c 'read l; echo "got $l"; tty; exit 4'`;
        const res = spawnSync('script', ['-qec', cmd, '/dev/null'], {
          input: 'there\n',
          encoding: 'utf8',
          timeout: 30_000,
        });
        assert.equal(res.status, 4, res.stdout + res.stderr);
        assert.match(res.stdout.replace(/\r/g, ''), /got there\n\/dev\/pts\/\d+\n/);
      });
    });

    test('create fails up front when the program is missing, and leaves nothing', () => {
      const b = bundle(['/nonexistent-program']);
      withBundle(b, () => {
        const res = rtDetached(r, ['create', '--bundle', b.dir, b.id]);
        assert.notEqual(res.status, 0);
        assert.match(res.stderr, /nonexistent-program/);
        assert.notEqual(rt(r, ['state', b.id]).status, 0, 'no container is left');
        assert.deepEqual(leftoverCgroups(b.cgroupsPath), []);
      });
    });

    test('--preserve-fds hands fd 3 to the container as fd 3', () => {
      const b = bundle(sh('cat <&3'));
      withBundle(b, () => {
        const file = join(b.dir, 'preserved.txt');
        writeFileSync(file, 'handed over\n');
        const fd = openSync(file, 'r');
        try {
          const res = spawnSync(
            r.bin,
            ['--root', r.root, 'run', '--preserve-fds', '1', '--bundle', b.dir, b.id],
            {
              stdio: ['ignore', 'pipe', 'pipe', fd],
              encoding: 'utf8',
              timeout: 30_000,
            },
          );
          assert.equal(res.status, 0, res.stderr);
          assert.equal(res.stdout, 'handed over\n');
        } finally {
          closeSync(fd);
        }
      });
    });

    test('exec joins every namespace', async () => {
      const b = bundle(['sleep', '30']);
      await withBundleAsync(r, b, async () => {
        assert.equal(rtDetached(r, ['create', '--bundle', b.dir, b.id]).status, 0);
        assert.equal(rtDetached(r, ['start', b.id]).status, 0);
        const pid = JSON.parse(rt(r, ['state', b.id]).stdout).pid as number;
        const res = rt(r, [
          'exec',
          b.id,
          'sh',
          '-c',
          'for n in ipc mnt net pid uts; do readlink /proc/self/ns/$n; done; ps -o pid,comm',
        ]);
        assert.equal(res.status, 0, res.stderr);
        const lines = res.stdout.trim().split('\n');
        const host = ['ipc', 'mnt', 'net', 'pid', 'uts'].map((n) => readlinkSync(`/proc/${pid}/ns/${n}`));
        assert.deepEqual(lines.slice(0, 5), host);
        assert.match(res.stdout, /\n\s+1 sleep\n/);
        const code = rt(r, ['exec', b.id, 'sh', '-c', 'exit 7']);
        assert.equal(code.status, 7);
      });
    });

    test('create → start → kill → delete', async () => {
      const b = bundle(['sleep', '30']);
      await withBundleAsync(r, b, async () => {
        const status = () => JSON.parse(rt(r, ['state', b.id]).stdout).status as string;
        const created = rtDetached(r, ['create', '--bundle', b.dir, b.id]);
        assert.equal(created.status, 0, created.stderr);
        assert.equal(status(), 'created');
        assert.equal(rtDetached(r, ['start', b.id]).status, 0);
        assert.equal(status(), 'running');
        assert.notEqual(
          rt(r, ['delete', b.id]).status,
          0,
          'a running container is not deleted without --force',
        );
        assert.equal(rt(r, ['pause', b.id]).status, 0);
        assert.equal(status(), 'paused');
        assert.equal(rt(r, ['resume', b.id]).status, 0);
        assert.equal(rt(r, ['kill', b.id, 'KILL']).status, 0);
        for (let i = 0; i < 100 && status() !== 'stopped'; i++)
          await new Promise((res) => setTimeout(res, 20));
        assert.equal(status(), 'stopped');
        const del = rt(r, ['delete', b.id]);
        assert.equal(del.status, 0, del.stderr);
        assert.notEqual(rt(r, ['state', b.id]).status, 0);
        assert.deepEqual(leftoverCgroups(b.cgroupsPath), []);
      });
    });

    test('hooks run in order', () => {
      const b = bundle(['true'], (s) => {
        s.root!.readonly = false;
      });
      // hooks in the runtime's namespaces write through the rootfs path; startContainer runs
      // inside the container, after pivot_root
      const hostLog = join(b.rootfs, 'hooklog');
      const hook = (name: string, file: string) => ({
        path: '/bin/sh',
        args: ['sh', '-c', `echo ${name} >> ${file}`],
      });
      const config = JSON.parse(readFileSync(join(b.dir, 'config.json'), 'utf8'));
      config.hooks = {
        prestart: [hook('prestart', hostLog)],
        createRuntime: [hook('createRuntime', hostLog)],
        createContainer: [hook('createContainer', hostLog)],
        startContainer: [hook('startContainer', '/hooklog')],
        poststart: [hook('poststart', hostLog)],
        poststop: [hook('poststop', hostLog)],
      };
      writeFileSync(join(b.dir, 'config.json'), JSON.stringify(config));
      withBundle(b, () => {
        const res = run(r, b);
        assert.equal(res.status, 0, res.stderr);
        const order = readFileSync(hostLog, 'utf8').trim().split('\n');
        const at = (n: string) => order.indexOf(n);
        for (const n of [
          'prestart',
          'createRuntime',
          'createContainer',
          'startContainer',
          'poststart',
          'poststop',
        ]) {
          assert.ok(at(n) >= 0, `${n} ran: ${order}`);
        }
        // startContainer and poststart race (runc too): both come after create, before poststop
        assert.ok(at('prestart') < at('createRuntime') && at('createRuntime') < at('createContainer'));
        assert.ok(at('createContainer') < at('startContainer') && at('startContainer') < at('poststop'));
        assert.ok(at('createContainer') < at('poststart') && at('poststart') < at('poststop'));
      });
    });
  });
}
