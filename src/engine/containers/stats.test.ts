import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { describe, it, type TestContext } from 'node:test';
import { planCgroup } from '../../plan/cgroups.ts';
import { cgroupHostFeatures, detectCgroupLayout } from '../../runtime/cgroups/detect.ts';
import { type CgroupStats, cgroupDriver, createCgroup, joinCgroup } from '../../runtime/cgroups/driver.ts';
import type { LinuxResources } from '../../spec/oci.ts';
import {
  type ContainerStats,
  containerStats,
  encodeStats,
  parseNetDev,
  parseProcStat,
  rfc3339Nano,
  type StatsSample,
  sampleStats,
  statsResponse,
  summarizeStats,
} from './stats.ts';

const MiB = 1024 * 1024;
const ZERO_TIME = '0001-01-01T00:00:00Z';
const EMPTY_CPU = {
  cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
  throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
};

const PROC_STAT = `cpu  236581 10 121711 1393822 5695 3 1621 1119 0 0
cpu0 114075 0 48705 714665 1232 0 715 618 0 0
cpu1 122505 0 73006 679157 4462 0 906 501 0 0
intr 12345 0 0
cpu_not_a_cpu 1 2 3
`;

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  8850314    3342    0    0    0     0          0         0  8850314    3342    0    0    0     0       0          0
  eth0:791540680   20131    1    2    0     0          0         0   982681   12081    3    4    0     0       0          0
`;

describe('stats: host files', () => {
  it("sums the cpu line's first seven fields in nanoseconds and counts the CPUs", () => {
    const ticks = 236581 + 10 + 121711 + 1393822 + 5695 + 3 + 1621;
    assert.deepEqual(parseProcStat(PROC_STAT), { systemCpuUsage: ticks * 10_000_000, onlineCpus: 2 });
  });

  it('reads interface counters without lo', () => {
    assert.deepEqual(parseNetDev(NET_DEV), {
      eth0: {
        rx_bytes: 791540680,
        rx_packets: 20131,
        rx_errors: 1,
        rx_dropped: 2,
        tx_bytes: 982681,
        tx_packets: 12081,
        tx_errors: 3,
        tx_dropped: 4,
      },
    });
  });

  it('prints times as Go prints RFC3339Nano', () => {
    assert.equal(rfc3339Nano(undefined), ZERO_TIME);
    assert.equal(rfc3339Nano(1700000000_123456789n), '2023-11-14T22:13:20.123456789Z');
    assert.equal(rfc3339Nano(1700000000_120000000n), '2023-11-14T22:13:20.12Z');
    assert.equal(rfc3339Nano(1700000000_000000000n), '2023-11-14T22:13:20Z');
  });
});

function cgroupStats(over: Partial<CgroupStats> = {}): CgroupStats {
  return {
    memory: {
      usage: 100 * MiB,
      limit: Number.POSITIVE_INFINITY,
      maxUsage: 120 * MiB,
      cache: 0,
      rss: 0,
      inactiveFile: 30 * MiB,
      activeFile: 0,
      totalInactiveFile: 30 * MiB,
      stat: { anon: 70 * MiB, file: 30 * MiB, inactive_file: 30 * MiB },
      failcnt: 2,
    },
    cpu: {
      usageTotal: 5e9,
      usageUser: 3e9,
      usageSystem: 2e9,
      perCpu: [],
      throttling: { periods: 10, throttledPeriods: 1, throttledTime: 5000 },
    },
    pids: { current: 3, limit: 0 },
    blkio: {
      ioServiceBytesRecursive: [
        { major: 8, minor: 0, op: 'Read', value: 4096 },
        { major: 8, minor: 0, op: 'Write', value: 8192 },
        { major: 8, minor: 0, op: 'Discard', value: 1 },
      ],
      ioServicedRecursive: [{ major: 8, minor: 0, op: 'Read', value: 1 }],
    },
    oomKills: 0,
    cpuQuota: -1,
    cpuPeriod: 100000,
    ...over,
  };
}

const sample = (over: Partial<StatsSample> = {}): StatsSample => ({
  read: 1700000000_500000000n,
  cgroupVersion: 2,
  cgroup: cgroupStats(),
  systemCpuUsage: 1e12,
  onlineCpus: 4,
  hostMemory: 8192 * MiB,
  ...over,
});

describe('stats: shaping', () => {
  it('shapes a cgroup v2 sample as dockerd does', () => {
    const prev = sample({ read: 1700000000_000000000n, systemCpuUsage: 1e12 - 4e9 });
    prev.cgroup.cpu.usageTotal = 4e9;
    const r = statsResponse({ id: 'abc', name: 'web' }, sample(), prev);
    assert.equal(r.name, '/web');
    assert.equal(r.id, 'abc');
    assert.equal(r.read, '2023-11-14T22:13:20.5Z');
    assert.equal(r.preread, '2023-11-14T22:13:20Z');
    assert.deepEqual(r.pids_stats, { current: 3 });
    assert.deepEqual(r.cpu_stats, {
      cpu_usage: { total_usage: 5e9, usage_in_kernelmode: 2e9, usage_in_usermode: 3e9 },
      system_cpu_usage: 1e12,
      online_cpus: 4,
      throttling_data: { periods: 10, throttled_periods: 1, throttled_time: 5000 },
    });
    assert.equal(r.precpu_stats.cpu_usage.total_usage, 4e9);
    // no max_usage on v2; no limit: the host's memory
    assert.deepEqual(r.memory_stats, {
      usage: 100 * MiB,
      stats: { anon: 70 * MiB, file: 30 * MiB, inactive_file: 30 * MiB },
      failcnt: 2,
      limit: 8192 * MiB,
    });
    assert.deepEqual(r.blkio_stats.io_service_bytes_recursive, [
      { major: 8, minor: 0, op: 'read', value: 4096 },
      { major: 8, minor: 0, op: 'write', value: 8192 },
    ]);
    assert.equal(r.blkio_stats.io_serviced_recursive, null);
    assert.equal(r.networks, undefined);
    assert.equal(r.num_procs, 0);
    assert.deepEqual(r.storage_stats, {});
  });

  it('shapes a cgroup v1 sample: per-CPU usage, max_usage, every blkio list', () => {
    const cg = cgroupStats();
    cg.cpu.perCpu = [2e9, 3e9];
    cg.memory = { ...cgroupStats().memory!, limit: 64 * MiB };
    const r = statsResponse({ id: 'abc', name: '/web' }, sample({ cgroupVersion: 1, cgroup: cg }));
    assert.equal(r.name, '/web');
    assert.deepEqual(r.cpu_stats.cpu_usage.percpu_usage, [2e9, 3e9]);
    assert.equal(r.memory_stats.max_usage, 120 * MiB);
    assert.equal(r.memory_stats.limit, 64 * MiB);
    assert.equal(r.blkio_stats.io_service_bytes_recursive?.length, 3);
    assert.equal(r.blkio_stats.io_service_bytes_recursive?.[0].op, 'Read');
    assert.deepEqual(r.blkio_stats.sectors_recursive, []);
    assert.equal(r.preread, ZERO_TIME);
    assert.deepEqual(r.precpu_stats, EMPTY_CPU);
  });

  it('answers with only name and id for a container that is not running', () => {
    const r = statsResponse({ id: 'abc', name: 'web' }, undefined);
    assert.equal(r.read, ZERO_TIME);
    assert.deepEqual(r.cpu_stats, EMPTY_CPU);
    assert.deepEqual(r.memory_stats, {});
    assert.deepEqual(r.pids_stats, {});
    assert.equal(r.blkio_stats.io_service_bytes_recursive, null);
  });

  it('writes integers above 2^53 exactly', () => {
    const r = statsResponse({ id: 'a', name: 'b' }, sample());
    r.memory_stats.stats = { hierarchical_memory_limit: 2 ** 63 - 4096 };
    assert.match(encodeStats(r), /"hierarchical_memory_limit":9223372036854771712[,}]/);
    assert.deepEqual(JSON.parse(encodeStats(r)).cpu_stats, r.cpu_stats);
  });
});

describe("stats: the docker CLI's arithmetic", () => {
  const base = (): ContainerStats => statsResponse({ id: 'a', name: 'b' }, sample(), undefined);

  it('computes CPU % against precpu, with the per-CPU fallback', () => {
    const s = base();
    s.precpu_stats = {
      ...EMPTY_CPU,
      cpu_usage: { ...EMPTY_CPU.cpu_usage, total_usage: 4e9 },
      system_cpu_usage: 1e12 - 4e9,
    };
    // 1e9 of 4e9 system ns, times 4 CPUs
    assert.equal(summarizeStats(s).cpuPercent, 100);
    s.cpu_stats.online_cpus = undefined;
    s.cpu_stats.cpu_usage.percpu_usage = [1, 2];
    assert.equal(summarizeStats(s).cpuPercent, 50);
    assert.equal(summarizeStats(base()).cpuPercent, (5e9 / 1e12) * 4 * 100);
    s.precpu_stats.system_cpu_usage = s.cpu_stats.system_cpu_usage;
    assert.equal(summarizeStats(s).cpuPercent, 0);
  });

  it('takes the inactive page cache out of memory (v1 total_inactive_file, v2 inactive_file)', () => {
    const s = base();
    const v2 = summarizeStats(s);
    assert.equal(v2.memoryUsage, 70 * MiB);
    assert.equal(v2.memoryLimit, 8192 * MiB);
    assert.equal(v2.memoryPercent, (70 / 8192) * 100);
    s.memory_stats.stats = { total_inactive_file: 40 * MiB, inactive_file: 10 * MiB };
    assert.equal(summarizeStats(s).memoryUsage, 60 * MiB);
    // v1 key not below usage: the CLI falls through to inactive_file
    s.memory_stats.stats = { total_inactive_file: 200 * MiB, inactive_file: 10 * MiB };
    assert.equal(summarizeStats(s).memoryUsage, 90 * MiB);
    s.memory_stats = {};
    assert.deepEqual([summarizeStats(s).memoryUsage, summarizeStats(s).memoryPercent], [0, 0]);
  });

  it('sums block I/O and network bytes and reports pids', () => {
    const s = base();
    s.networks = parseNetDev(
      NET_DEV.replace('eth0', 'eth0').concat('  eth1: 10 1 0 0 0 0 0 0 20 2 0 0 0 0 0 0\n'),
    );
    const sum = summarizeStats(s);
    assert.deepEqual(
      [sum.blockRead, sum.blockWrite, sum.networkRx, sum.networkTx, sum.pids],
      [4096, 8192, 791540690, 982701, 3],
    );
  });
});

// ---- against this host's cgroups --------------------------------------------------------------

const layout = detectCgroupLayout();
const v1Memory = layout.version === 1 ? layout.mounts.memory : undefined;
const v1Acct = layout.version === 1 ? layout.mounts.cpuacct : undefined;
const canRun = layout.version === 1 && v1Memory && v1Acct && process.getuid?.() === 0;

describe('stats: a real cgroup (v1)', {
  skip: canRun ? false : 'needs root and cgroup v1 memory+cpuacct',
}, () => {
  const driver = cgroupDriver(layout);
  const read = (path: string) => readFileSync(path, 'utf8').trim();

  /** A cgroup with a busybox sleep in its own network namespace; removed after the test. */
  async function container(t: TestContext, resources?: LinuxResources) {
    const path = `/berth-test-stats-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    const plan = planCgroup(layout, path, resources, cgroupHostFeatures(layout, path));
    t.after(async () => {
      if (driver.exists(path)) {
        await driver.killAll(path, 'SIGKILL');
        await driver.destroy(path);
      }
    });
    createCgroup(plan);
    const child = spawn('unshare', ['--net', '/bin/busybox', 'sh', '-c', 'read go; exec sleep 1000'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    t.after(() => {
      child.kill('SIGKILL');
    });
    const pid = child.pid as number;
    joinCgroup(plan, pid);
    child.stdin.write('go\n');
    const deadline = Date.now() + 10000;
    // charged once it runs in the cgroup; /proc/<pid>/comm is sleep once exec'd
    while (
      !(driver.pids(path).length === 1 && read(`/proc/${pid}/comm`) === 'sleep') ||
      (driver.stats(path).memory?.usage ?? 0) === 0
    ) {
      if (Date.now() > deadline) assert.fail('the process did not start in the cgroup');
      await new Promise((r) => setTimeout(r, 10));
    }
    return { target: { id: 'c0ffee', name: 'stats-test', cgroupsPath: path, netnsPid: pid }, pid, path };
  }

  it('reads what the cgroup files say', async (t) => {
    const { target, path } = await container(t, { memory: { limit: 64 * MiB } });
    const mem = `${v1Memory}${path}`;
    const acct = `${v1Acct}${path}`;
    const before = {
      usage: Number(read(`${mem}/memory.usage_in_bytes`)),
      cpu: Number(read(`${acct}/cpuacct.usage`)),
      system: parseProcStat(read('/proc/stat')).systemCpuUsage,
    };
    const s = statsResponse(target, sampleStats(driver, target));
    const after = {
      usage: Number(read(`${mem}/memory.usage_in_bytes`)),
      cpu: Number(read(`${acct}/cpuacct.usage`)),
      system: parseProcStat(read('/proc/stat')).systemCpuUsage,
    };
    const within = (v: number | undefined, lo: number, hi: number, what: string) =>
      assert.ok(
        v !== undefined && v >= Math.min(lo, hi) && v <= Math.max(lo, hi),
        `${what}: ${v} not in [${lo}, ${hi}]`,
      );

    assert.equal(s.name, '/stats-test');
    assert.equal(s.id, 'c0ffee');
    assert.equal(s.memory_stats.limit, Number(read(`${mem}/memory.limit_in_bytes`)));
    assert.equal(s.memory_stats.limit, 64 * MiB);
    within(s.memory_stats.usage, before.usage, after.usage, 'memory usage');
    assert.ok((s.memory_stats.max_usage ?? 0) >= (s.memory_stats.usage ?? 0));
    const statKeys = read(`${mem}/memory.stat`)
      .split('\n')
      .map((l) => l.split(' ')[0]);
    assert.deepEqual(Object.keys(s.memory_stats.stats ?? {}).sort(), statKeys.sort());
    assert.equal(s.memory_stats.stats?.hierarchical_memory_limit, 64 * MiB);
    within(s.cpu_stats.cpu_usage.total_usage, before.cpu, after.cpu, 'cpu usage');
    assert.equal(
      s.cpu_stats.cpu_usage.percpu_usage?.length,
      read(`${acct}/cpuacct.usage_percpu`).split(/\s+/).length,
    );
    within(s.cpu_stats.system_cpu_usage, before.system, after.system, 'system cpu usage');
    assert.equal(s.cpu_stats.online_cpus, parseProcStat(read('/proc/stat')).onlineCpus);
    assert.equal(s.pids_stats.current, 1);
    assert.equal(s.networks, undefined, 'a netns with only lo has no networks');
    assert.ok(Array.isArray(s.blkio_stats.io_service_bytes_recursive));
  });

  it('shows the host memory as the limit without one, and the host interfaces', async (t) => {
    const { target } = await container(t);
    const s = statsResponse(target, sampleStats(driver, { ...target, netnsPid: process.pid }));
    assert.equal(s.memory_stats.limit, totalmem());
    assert.match(encodeStats(s), /"hierarchical_memory_limit":9223372036854771712[,}]/);
    const host = parseNetDev(read('/proc/self/net/dev'));
    assert.deepEqual(Object.keys(s.networks ?? {}), Object.keys(host));
    assert.ok(!('lo' in (s.networks ?? {})));
  });

  it('streams with the previous sample as precpu, primes stream=0, and not one-shot', async (t) => {
    const { target } = await container(t);
    const ac = new AbortController();
    const frames: ContainerStats[] = [];
    for await (const s of containerStats(driver, target, {
      stream: true,
      intervalMs: 20,
      signal: ac.signal,
    })) {
      frames.push(s);
      if (frames.length === 3) ac.abort();
    }
    assert.equal(frames.length, 3);
    assert.equal(frames[0].preread, ZERO_TIME);
    assert.deepEqual(frames[0].precpu_stats, EMPTY_CPU);
    assert.equal(frames[1].preread, frames[0].read);
    assert.deepEqual(frames[1].precpu_stats, frames[0].cpu_stats);
    assert.deepEqual(frames[2].precpu_stats, frames[1].cpu_stats);

    const primed = [];
    for await (const s of containerStats(driver, target, { stream: false, intervalMs: 20 })) primed.push(s);
    assert.equal(primed.length, 1);
    assert.notEqual(primed[0].preread, ZERO_TIME);
    assert.ok((primed[0].precpu_stats.system_cpu_usage ?? 0) > 0);
    assert.ok((primed[0].cpu_stats.system_cpu_usage ?? 0) >= (primed[0].precpu_stats.system_cpu_usage ?? 0));

    const once = [];
    for await (const s of containerStats(driver, target, { stream: false, oneShot: true })) once.push(s);
    assert.equal(once.length, 1);
    assert.deepEqual(once[0].precpu_stats, EMPTY_CPU);
    assert.ok(once[0].cpu_stats.cpu_usage.total_usage > 0);

    const stopped = [];
    for await (const s of containerStats(driver, target, { stream: false, running: () => false }))
      stopped.push(s);
    assert.deepEqual(stopped, [statsResponse(target, undefined)]);
  });
});
