// berth network ls: GET /networks, sorted by name as docker does (natural order).

import { filtersToJSON, parseFilterFlags } from '../../format/filters.ts';
import { formatNetworkList, type NetworkSummary } from '../../format/lists/networks.ts';
import { naturalLess } from '../container/port.ts';
import { filterFlag, interspersed, values } from './common.ts';

/** The output of `docker network ls` for what the daemon listed. */
export function listOutput(
  networks: readonly NetworkSummary[],
  opts: { format?: string; quiet?: boolean; noTrunc?: boolean },
): string {
  const sorted = [...networks].sort((a, b) =>
    naturalLess(a.Name, b.Name) ? -1 : naturalLess(b.Name, a.Name) ? 1 : 0,
  );
  return formatNetworkList(sorted, opts);
}

export const ls = interspersed({
  path: ['network', 'ls'],
  aliases: [['network', 'list']],
  summary: 'List networks',
  usage: 'berth network ls [OPTIONS]',
  args: { min: 0, max: 0 },
  flags: [
    filterFlag('Provide filter values (e.g. "driver=bridge")', 'f'),
    { name: 'format', type: 'string', description: 'Format output using a custom template' },
    { name: 'no-trunc', type: 'bool', description: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display network IDs' },
  ],
  async run(ctx, { opts }) {
    const filters = filtersToJSON(parseFilterFlags(values(opts, 'filter')));
    const client = await ctx.client();
    const networks = await client.json<NetworkSummary[]>('GET', '/networks', {
      query: { filters: filters || undefined },
    });
    ctx.out.write(
      listOutput(networks ?? [], {
        format: opts.format as string | undefined,
        quiet: opts.quiet === true,
        noTrunc: opts['no-trunc'] === true,
      }),
    );
    return 0;
  },
});
