import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cpuPercent,
  formatStats,
  invalidEntry,
  memoryUsage,
  type StatsJSON,
  statsEntry,
} from './stats-format.ts';

/** What dockerd 20.10 answered for a busybox `sleep` (cgroup v1), trimmed. */
const V1: StatsJSON = {
  name: '/web',
  id: 'f756e4afa12877d7372c3a972e7446cf0a7c6343b024f51350b55359ea8142e2',
  pids_stats: { current: 1 },
  blkio_stats: { io_service_bytes_recursive: [] },
  cpu_stats: {
    cpu_usage: { total_usage: 320575158, percpu_usage: [175596066, 144979092] },
    system_cpu_usage: 20656300000000,
    online_cpus: 2,
  },
  precpu_stats: { cpu_usage: { total_usage: 320575158 }, system_cpu_usage: 20654280000000, online_cpus: 2 },
  memory_stats: {
    usage: 1572864,
    stats: { total_inactive_file: 16384, inactive_file: 16384, cache: 1241088 },
    limit: 25276063744,
  },
};

test("docker's table for one container, as docker stats printed it", () => {
  assert.equal(
    formatStats([statsEntry('web', V1)], '', false),
    'CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT     MEM %     NET I/O   BLOCK I/O   PIDS\n' +
      'f756e4afa128   web       0.00%     1.484MiB / 23.54GiB   0.01%     0B / 0B   0B / 0B     1\n',
  );
});

test('--format json and --no-trunc', () => {
  assert.equal(
    formatStats([statsEntry('web', V1)], 'json', false),
    '{"BlockIO":"0B / 0B","CPUPerc":"0.00%","Container":"web","ID":"f756e4afa128","MemPerc":"0.01%","MemUsage":"1.484MiB / 23.54GiB","Name":"web","NetIO":"0B / 0B","PIDs":"1"}\n',
  );
  assert.equal(formatStats([statsEntry('web', V1)], '{{.ID}}', true), `${V1.id}\n`);
});

test('CPU %: the container’s share of the system time between readings, times the CPUs', () => {
  const v: StatsJSON = {
    cpu_stats: {
      cpu_usage: { total_usage: 4e8, percpu_usage: [1, 2, 3, 4] },
      system_cpu_usage: 2e9,
      online_cpus: 0,
    },
    precpu_stats: { cpu_usage: { total_usage: 2e8 }, system_cpu_usage: 1e9 },
  };
  assert.equal(cpuPercent(v), 80);
  assert.equal(cpuPercent({ ...v, cpu_stats: { ...v.cpu_stats, online_cpus: 2 } }), 40);
  assert.equal(cpuPercent({}), 0);
});

test('memory: usage minus total_inactive_file (v1) or inactive_file (v2)', () => {
  assert.equal(memoryUsage({ usage: 1000, stats: { total_inactive_file: 100, inactive_file: 300 } }), 900);
  assert.equal(memoryUsage({ usage: 1000, stats: { inactive_file: 300 } }), 700);
  assert.equal(memoryUsage({ usage: 1000, stats: { inactive_file: 3000 } }), 1000);
  assert.equal(memoryUsage({ usage: 1000 }), 1000);
});

test('block and network I/O are summed; an unreadable container shows --', () => {
  const e = statsEntry('x', {
    name: '/x',
    blkio_stats: {
      io_service_bytes_recursive: [
        { op: 'Read', value: 1000000 },
        { op: 'Write', value: 2048 },
        { op: 'read', value: 1 },
        { op: 'Total', value: 5 },
      ],
    },
    networks: { eth0: { rx_bytes: 1500, tx_bytes: 10 }, eth1: { rx_bytes: 500, tx_bytes: 0 } },
  });
  assert.equal(formatStats([e], '{{.BlockIO}} | {{.NetIO}}', false), '1MB / 2.05kB | 2kB / 10B\n');
  assert.equal(
    formatStats(
      [invalidEntry('gone')],
      '{{.Container}} {{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}',
      false,
    ),
    'gone -- -- -- / -- --\n',
  );
});
