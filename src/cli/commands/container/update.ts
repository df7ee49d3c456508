// berth update / berth container update: new resource limits or restart policy for containers.

import { memSwapBytes, nanoCpus, parseGoInt, parseGoUint, ramInBytes } from '../../../common/govalues.ts';
import type { CommandDef } from '../../command.ts';
import { FlagError, flagErrorText, type OptDef, parseArgv } from '../../opts/flags.ts';
import { parseRestartPolicy } from '../../opts/validators.ts';
import { cpath, errorText } from './common.ts';

const int = (name: string, description: string, short?: string): OptDef => ({
  name,
  short,
  type: 'string',
  typeName: 'int',
  description,
  parse: (v) => parseGoInt(v),
});
const bytes = (name: string, description: string, short?: string, parse = ramInBytes): OptDef => ({
  name,
  short,
  type: 'string',
  typeName: 'bytes',
  description,
  parse,
});

const USAGE = 'berth update [OPTIONS] CONTAINER [CONTAINER...]';

export const UPDATE_FLAGS: OptDef[] = [
  {
    name: 'blkio-weight',
    type: 'string',
    typeName: 'uint16',
    description: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)',
    parse: (v) => parseGoUint(v, 16),
  },
  int('cpu-period', 'Limit CPU CFS (Completely Fair Scheduler) period'),
  int('cpu-quota', 'Limit CPU CFS (Completely Fair Scheduler) quota'),
  int('cpu-rt-period', 'Limit the CPU real-time period in microseconds'),
  int('cpu-rt-runtime', 'Limit the CPU real-time runtime in microseconds'),
  int('cpu-shares', 'CPU shares (relative weight)', 'c'),
  { name: 'cpus', type: 'string', typeName: 'decimal', description: 'Number of CPUs', parse: nanoCpus },
  { name: 'cpuset-cpus', type: 'string', description: 'CPUs in which to allow execution (0-3, 0,1)' },
  { name: 'cpuset-mems', type: 'string', description: 'MEMs in which to allow execution (0-3, 0,1)' },
  bytes('kernel-memory', 'Kernel memory limit (deprecated)'),
  bytes('memory', 'Memory limit', 'm'),
  bytes('memory-reservation', 'Memory soft limit'),
  bytes(
    'memory-swap',
    'Swap limit equal to memory plus swap: -1 to enable unlimited swap',
    undefined,
    memSwapBytes,
  ),
  int('pids-limit', 'Tune container pids limit (set -1 for unlimited)'),
  { name: 'restart', type: 'string', description: 'Restart policy to apply when a container exits' },
];

/** The UpdateConfig body docker sends for the parsed flags (unset pointers are null). */
export function updateBody(opts: Record<string, unknown>, changed: Set<string>): Record<string, unknown> {
  const num = (k: string) => (opts[k] as number | undefined) ?? 0;
  const restart = changed.has('restart')
    ? parseRestartPolicy(String(opts.restart))
    : { Name: '', MaximumRetryCount: 0 };
  return {
    CpuShares: num('cpu-shares'),
    Memory: num('memory'),
    NanoCpus: num('cpus'),
    CgroupParent: '',
    BlkioWeight: num('blkio-weight'),
    BlkioWeightDevice: null,
    BlkioDeviceReadBps: null,
    BlkioDeviceWriteBps: null,
    BlkioDeviceReadIOps: null,
    BlkioDeviceWriteIOps: null,
    CpuPeriod: num('cpu-period'),
    CpuQuota: num('cpu-quota'),
    CpuRealtimePeriod: num('cpu-rt-period'),
    CpuRealtimeRuntime: num('cpu-rt-runtime'),
    CpusetCpus: (opts['cpuset-cpus'] as string) ?? '',
    CpusetMems: (opts['cpuset-mems'] as string) ?? '',
    Devices: null,
    DeviceCgroupRules: null,
    DeviceRequests: null,
    ...(num('kernel-memory') ? { KernelMemory: num('kernel-memory') } : {}),
    MemoryReservation: num('memory-reservation'),
    MemorySwap: num('memory-swap'),
    MemorySwappiness: null,
    OomKillDisable: null,
    PidsLimit: changed.has('pids-limit') ? num('pids-limit') : null,
    Ulimits: null,
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    RestartPolicy: restart,
  };
}

export const update: CommandDef = {
  path: ['container', 'update'],
  aliases: [['update']],
  summary: 'Update configuration of one or more containers',
  usage: USAGE,
  args: { min: 1 },
  flags: UPDATE_FLAGS.map((f) => ({ ...f, type: 'string' as const })),
  async run(ctx, rawOpts, args) {
    // Values are read again through the typed parser, for docker's messages on bad ones.
    const words: string[] = [];
    for (const f of UPDATE_FLAGS)
      if (rawOpts[f.name] !== undefined) words.push(`--${f.name}=${rawOpts[f.name]}`);
    let parsed: ReturnType<typeof parseArgv>;
    try {
      parsed = parseArgv(words, UPDATE_FLAGS, true);
    } catch (err) {
      if (!(err instanceof FlagError)) throw err;
      ctx.err.write(flagErrorText(USAGE, err.message));
      return 125;
    }
    const { opts, changed } = parsed;
    if (changed.size === 0) {
      ctx.err.write('you must provide one or more flags when using this command\n');
      return 1;
    }
    const body = updateBody(opts, changed);
    const client = await ctx.client();
    const errors: string[] = [];
    for (const name of args) {
      try {
        const res = await client.json<{ Warnings?: string[] | null }>('POST', cpath(name, '/update'), {
          body,
        });
        for (const w of res?.Warnings ?? []) ctx.err.write(`${w}\n`);
        ctx.out.write(`${name}\n`);
      } catch (err) {
        errors.push(errorText(err));
      }
    }
    for (const e of errors) ctx.err.write(`${e}\n`);
    return errors.length ? 1 : 0;
  },
};
