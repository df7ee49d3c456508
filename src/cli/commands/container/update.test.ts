import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgv } from '../../opts/flags.ts';
import { UPDATE_FLAGS, updateBody } from './update.ts';

const body = (argv: string[]) => {
  const { opts, changed } = parseArgv(argv, UPDATE_FLAGS, true);
  return updateBody(opts, changed);
};

// What the docker CLI 28 sent for `docker update --cpus 1.5 -m 512m --restart on-failure:2 --pids-limit 10 c1`.
const DOCKER = {
  CpuShares: 0,
  Memory: 536870912,
  NanoCpus: 1500000000,
  CgroupParent: '',
  BlkioWeight: 0,
  BlkioWeightDevice: null,
  BlkioDeviceReadBps: null,
  BlkioDeviceWriteBps: null,
  BlkioDeviceReadIOps: null,
  BlkioDeviceWriteIOps: null,
  CpuPeriod: 0,
  CpuQuota: 0,
  CpuRealtimePeriod: 0,
  CpuRealtimeRuntime: 0,
  CpusetCpus: '',
  CpusetMems: '',
  Devices: null,
  DeviceCgroupRules: null,
  DeviceRequests: null,
  MemoryReservation: 0,
  MemorySwap: 0,
  MemorySwappiness: null,
  OomKillDisable: null,
  PidsLimit: 10,
  Ulimits: null,
  CpuCount: 0,
  CpuPercent: 0,
  IOMaximumIOps: 0,
  IOMaximumBandwidth: 0,
  RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 },
};

test('the body docker sends', () => {
  assert.deepEqual(
    body(['--cpus', '1.5', '-m', '512m', '--restart', 'on-failure:2', '--pids-limit', '10']),
    DOCKER,
  );
});

test('unset pointers stay null, an unset restart policy is empty', () => {
  const b = body(['--memory-swap', '-1']);
  assert.equal(b.MemorySwap, -1);
  assert.equal(b.PidsLimit, null);
  assert.deepEqual(b.RestartPolicy, { Name: '', MaximumRetryCount: 0 });
});
