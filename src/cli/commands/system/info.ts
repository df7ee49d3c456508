// berth info / berth system info: the daemon's view of the system (docker info's layout).

import type { CommandDef } from '../../command.ts';
import { formatWith } from '../../output.ts';

type Info = Record<string, unknown> & {
  Plugins: { Volume: string[]; Network: string[]; Log: string[] };
  Runtimes: Record<string, unknown>;
  SecurityOptions: string[];
  Labels: string[];
  Warnings: string[] | null;
};

export function renderInfo(i: Info): string {
  const sec = i.SecurityOptions.map((o) => `  ${o.replace(/^name=/, '').split(',')[0]}`);
  const lines = [
    'Server:',
    ` Containers: ${i.Containers}`,
    `  Running: ${i.ContainersRunning}`,
    `  Paused: ${i.ContainersPaused}`,
    `  Stopped: ${i.ContainersStopped}`,
    ` Images: ${i.Images}`,
    ` Server Version: ${i.ServerVersion}`,
    ` Storage Driver: ${i.Driver}`,
    ` Logging Driver: ${i.LoggingDriver}`,
    ` Cgroup Driver: ${i.CgroupDriver}`,
    ` Cgroup Version: ${i.CgroupVersion}`,
    ' Plugins:',
    `  Volume: ${i.Plugins.Volume.join(' ')}`,
    `  Network: ${i.Plugins.Network.join(' ')}`,
    `  Log: ${i.Plugins.Log.join(' ')}`,
    ` Runtimes: ${Object.keys(i.Runtimes).join(' ')}`,
    ` Default Runtime: ${i.DefaultRuntime}`,
    ' Security Options:',
    ...sec,
    ` Kernel Version: ${i.KernelVersion}`,
    ` Operating System: ${i.OperatingSystem}`,
    ` OSType: ${i.OSType}`,
    ` Architecture: ${i.Architecture}`,
    ` CPUs: ${i.NCPU}`,
    ` Total Memory: ${(Number(i.MemTotal) / 2 ** 30).toFixed(2)}GiB`,
    ` Name: ${i.Name}`,
    ` ID: ${i.ID}`,
    ` Berth Root Dir: ${i.DockerRootDir}`,
    ` Debug Mode: ${i.Debug}`,
    ...(i.Labels.length ? [' Labels:', ...i.Labels.map((l) => `  ${l}`)] : []),
    ` Live Restore Enabled: ${i.LiveRestoreEnabled}`,
    '',
  ];
  for (const w of i.Warnings ?? []) lines.push(w);
  return lines.join('\n');
}

export const info: CommandDef = {
  path: ['system', 'info'],
  aliases: [['info']],
  summary: 'Display system-wide information',
  usage: 'berth info [OPTIONS]',
  flags: [
    { name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template' },
  ],
  async run(ctx, opts) {
    const client = await ctx.client();
    const data = await client.json<Info>('GET', '/info');
    ctx.out.write(opts.format ? formatWith(String(opts.format), data) : renderInfo(data));
    return 0;
  },
};
