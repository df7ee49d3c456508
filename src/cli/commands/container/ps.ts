// berth ps / berth container ls: containers as docker's table (or --format, -q).

import type { CommandDef } from '../../command.ts';
import { filtersToJSON, parseFilterFlags } from '../../format/filters.ts';
import { type ContainerSummary, formatContainerList } from '../../format/lists/containers.ts';

export const ps: CommandDef = {
  path: ['container', 'ls'],
  aliases: [['ps'], ['container', 'list'], ['container', 'ps']],
  summary: 'List containers',
  usage: 'berth ps [OPTIONS]',
  args: { min: 0, max: 0 },
  flags: [
    {
      name: 'all',
      short: 'a',
      type: 'bool',
      description: 'Show all containers (default shows just running)',
    },
    { name: 'filter', short: 'f', type: 'list', description: 'Filter output based on conditions provided' },
    { name: 'format', type: 'string', description: 'Format output using a custom template' },
    {
      name: 'last',
      short: 'n',
      type: 'int',
      description: 'Show n last created containers (includes all states)',
    },
    {
      name: 'latest',
      short: 'l',
      type: 'bool',
      description: 'Show the latest created container (includes all states)',
    },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display container IDs' },
    { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes' },
  ],
  async run(ctx, opts) {
    const format = (opts.format as string | undefined) ?? '';
    let last = (opts.last as number | undefined) ?? -1;
    if (opts.latest && last === -1) last = 1;
    const quiet = opts.quiet === true;
    // The default table has no SIZE column; a --format naming .Size needs the sizes.
    const size = opts.size === true || (!quiet && /\.Size\b/.test(format));
    const filters = filtersToJSON(parseFilterFlags(opts.filter as string[]));
    const client = await ctx.client();
    const containers = await client.json<ContainerSummary[]>('GET', '/containers/json', {
      query: {
        all: opts.all ? 1 : undefined,
        limit: last > 0 ? last : undefined,
        size: size ? 1 : undefined,
        filters: filters || undefined,
      },
    });
    const offset = -new Date().getTimezoneOffset();
    let zone: string | undefined;
    ctx.out.write(
      formatContainerList(containers, {
        format,
        quiet,
        noTrunc: opts['no-trunc'] === true,
        size: opts.size === true,
        clock: {
          now: Date.now(),
          offsetMinutes: offset,
          // Intl's first use costs ~60 ms: only for templates that print CreatedAt
          get zone() {
            zone ??= zoneName();
            return zone;
          },
        },
      }),
    );
    return 0;
  },
};

/** The local zone's abbreviation, as Go prints it in times (`UTC`, `CET`). */
export function zoneName(date = new Date()): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
    .formatToParts(date)
    .find((p) => p.type === 'timeZoneName')?.value;
  if (!part || /^GMT[+-]/.test(part)) {
    const off = -date.getTimezoneOffset();
    if (off === 0) return 'UTC';
    const sign = off < 0 ? '-' : '+';
    const abs = Math.abs(off);
    return `${sign}${String(Math.trunc(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  }
  return part === 'GMT' ? 'UTC' : part;
}
