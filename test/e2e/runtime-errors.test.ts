// Bad input to berth-runtime: each is a clear error and a non-zero exit, and nothing is left
// behind (no state directory, cgroup directories, mounts or processes).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Spec } from '../../src/spec/oci.ts';
import {
  bundle,
  leftoverCgroups,
  leftoverMounts,
  rt,
  rtDetached,
  runtimes,
  type TestBundle,
} from './runtime-helpers.ts';

const berth = runtimes().find((r) => r.name === 'berth')!;

function assertClean(b: TestBundle): void {
  assert.notEqual(rt(berth, ['state', b.id]).status, 0, 'no state is left');
  assert.deepEqual(leftoverCgroups(b.cgroupsPath), [], 'no cgroup directories are left');
  assert.deepEqual(leftoverMounts(b.rootfs), [], 'no mounts are left');
}

function refused(mutate: (spec: Spec) => void, message: RegExp, edit?: (b: TestBundle) => void): void {
  const b = bundle(['true'], mutate);
  try {
    edit?.(b);
    const res = rtDetached(berth, ['create', '--bundle', b.dir, b.id]);
    assert.equal(res.status, 1, `exit status (stderr: ${res.stderr})`);
    assert.match(res.stderr, message);
    assertClean(b);
  } finally {
    rt(berth, ['delete', '--force', b.id]);
    b.cleanup();
  }
}

describe('berth-runtime refuses bad input cleanly', () => {
  test('invalid JSON', () => {
    refused(
      () => {},
      /config\.json: invalid JSON/,
      (b) => writeFileSync(join(b.dir, 'config.json'), '{"ociVersion": '),
    );
  });

  test('a known field with the wrong type', () => {
    refused((s) => {
      (s.process as unknown as { args: string }).args = 'sh';
    }, /process\.args must be an array of strings/);
  });

  test('a missing rootfs', () => {
    refused((s) => {
      s.root!.path = 'no-such-rootfs';
    }, /rootfs \(.*no-such-rootfs\) does not exist/);
  });

  test('an unknown capability', () => {
    refused((s) => {
      s.process!.capabilities!.bounding!.push('CAP_FOO');
    }, /unknown capability "CAP_FOO"/);
  });

  test('a bad mount type', () => {
    refused((s) => {
      s.mounts!.push({ destination: '/data', type: 'bogusfs', source: 'none' });
    }, /unknown file system type "bogusfs"/);
  });

  test('a plan step that fails names the step, the path and errno', () => {
    refused((s) => {
      s.linux!.sysctl = { 'net.ipv4.no_such_key': '1' };
    }, /step \d+ \(sysctl\).*no_such_key.*No such file or directory/);
  });

  test('a duplicate container id', () => {
    const b = bundle(['sleep', '10']);
    try {
      const first = rtDetached(berth, ['create', '--bundle', b.dir, b.id]);
      assert.equal(first.status, 0, first.stderr);
      const second = rtDetached(berth, ['create', '--bundle', b.dir, b.id]);
      assert.equal(second.status, 1);
      assert.match(second.stderr, new RegExp(`container with id exists: ${b.id}`));
      assert.equal(JSON.parse(rt(berth, ['state', b.id]).stdout).status, 'created', 'the first is untouched');
      assert.equal(rt(berth, ['delete', '--force', b.id]).status, 0);
      assertClean(b);
    } finally {
      rt(berth, ['delete', '--force', b.id]);
      b.cleanup();
    }
  });

  test('unknown flags and commands', () => {
    const flag = rt(berth, ['create', '--bogus', 'x']);
    assert.equal(flag.status, 1);
    assert.match(flag.stderr, /flag provided but not defined: --bogus/);
    const cmd = rt(berth, ['frobnicate']);
    assert.equal(cmd.status, 1);
    assert.match(cmd.stderr, /unknown command "frobnicate"/);
    const missing = rt(berth, ['state', 'no-such-container']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /container does not exist: no-such-container/);
  });
});

test('two starts at once: one starts the container, the other is refused, neither hangs', async () => {
  const b = bundle(['sleep', '100']);
  try {
    assert.equal(rtDetached(berth, ['create', '--bundle', b.dir, b.id]).status, 0);
    const start = () =>
      new Promise<number | null>((resolve) => {
        const child = spawn(berth.bin, ['--root', berth.root, 'start', b.id], { stdio: 'ignore' });
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
    const codes = (await Promise.all([start(), start()])).sort();
    assert.deepEqual(codes, [0, 1]);
    assert.match(rt(berth, ['state', b.id]).stdout, /"status":\s*"running"/);
  } finally {
    rt(berth, ['delete', '--force', b.id]);
    b.cleanup();
  }
});
