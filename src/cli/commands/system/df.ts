// berth system df: disk usage by images, containers, volumes and the build cache.

import type { CommandDef } from '../../command.ts';
import { renderFormat } from '../../format/format.ts';
import { humanSize } from '../../format/units.ts';

interface DiskUsage {
  LayersSize: number;
  Images: { Size: number; SharedSize: number; Containers: number }[] | null;
  Containers: { SizeRw?: number; State: string }[] | null;
  Volumes: { UsageData?: { Size: number; RefCount: number } }[] | null;
  BuildCache: { Size: number; InUse: boolean; Shared: boolean }[] | null;
}

export function dfRows(
  d: DiskUsage,
): { Type: string; TotalCount: number; Active: number; Size: string; Reclaimable: string }[] {
  const images = d.Images ?? [];
  const containers = d.Containers ?? [];
  const volumes = d.Volumes ?? [];
  const cache = d.BuildCache ?? [];
  const activeImages = images.filter((i) => i.Containers > 0);
  const pct = (part: number, whole: number) => (whole > 0 ? ` (${Math.round((part * 100) / whole)}%)` : '');
  const imgReclaim = d.LayersSize - activeImages.reduce((s, i) => s + i.Size - i.SharedSize, 0);
  const ctrSize = containers.reduce((s, c) => s + (c.SizeRw ?? 0), 0);
  const ctrReclaim = containers.filter((c) => c.State !== 'running').reduce((s, c) => s + (c.SizeRw ?? 0), 0);
  const volSize = volumes.reduce((s, v) => s + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const volReclaim = volumes
    .filter((v) => (v.UsageData?.RefCount ?? 0) === 0)
    .reduce((s, v) => s + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const cacheSize = cache.reduce((s, c) => s + c.Size, 0);
  const cacheReclaim = cache.filter((c) => !c.InUse && !c.Shared).reduce((s, c) => s + c.Size, 0);
  return [
    {
      Type: 'Images',
      TotalCount: images.length,
      Active: activeImages.length,
      Size: humanSize(d.LayersSize),
      Reclaimable: `${humanSize(Math.max(0, imgReclaim))}${pct(imgReclaim, d.LayersSize)}`,
    },
    {
      Type: 'Containers',
      TotalCount: containers.length,
      Active: containers.filter((c) => c.State === 'running').length,
      Size: humanSize(ctrSize),
      Reclaimable: `${humanSize(ctrReclaim)}${pct(ctrReclaim, ctrSize)}`,
    },
    {
      Type: 'Local Volumes',
      TotalCount: volumes.length,
      Active: volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length,
      Size: humanSize(volSize),
      Reclaimable: `${humanSize(volReclaim)}${pct(volReclaim, volSize)}`,
    },
    {
      Type: 'Build Cache',
      TotalCount: cache.length,
      Active: cache.filter((c) => c.InUse).length,
      Size: humanSize(cacheSize),
      Reclaimable: humanSize(cacheReclaim),
    },
  ];
}

export const df: CommandDef = {
  path: ['system', 'df'],
  summary: 'Show berth disk usage',
  usage: 'berth system df [OPTIONS]',
  flags: [
    { name: 'format', type: 'string', description: 'Format output using a custom template' },
    { name: 'verbose', short: 'v', type: 'bool', description: 'Show detailed information on space usage' },
  ],
  async run(ctx, opts) {
    const client = await ctx.client();
    const data = await client.json<DiskUsage>('GET', '/system/df');
    const rows = dfRows(data);
    const format =
      (opts.format as string | undefined) ??
      'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
    ctx.out.write(
      renderFormat(format, rows, {
        Type: 'TYPE',
        TotalCount: 'TOTAL',
        Active: 'ACTIVE',
        Size: 'SIZE',
        Reclaimable: 'RECLAIMABLE',
      }),
    );
    return 0;
  },
};
