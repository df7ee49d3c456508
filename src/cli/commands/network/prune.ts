// berth network prune: POST /networks/prune (after a confirmation unless -f).

import { filtersToJSON, parseFilterFlags } from '../../format/filters.ts';
import { confirm } from '../../prompt.ts';
import { filterFlag, interspersed, values } from './common.ts';

export const PRUNE_WARNING =
  'WARNING! This will remove all custom networks not used by at least one container.';

/** What docker prints for a prune report ('' when nothing was deleted). */
export function pruneOutput(deleted: readonly string[] | null | undefined): string {
  if (!deleted?.length) return '';
  return `Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}\n`;
}

export const prune = interspersed({
  path: ['network', 'prune'],
  summary: 'Remove all unused networks',
  usage: 'berth network prune [OPTIONS]',
  args: { min: 0, max: 0 },
  flags: [
    filterFlag('Provide filter values (e.g. "until=<timestamp>")'),
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  ],
  async run(ctx, { opts }) {
    const filters = filtersToJSON(parseFilterFlags(values(opts, 'filter')));
    if (!opts.force && !(await confirm(ctx, PRUNE_WARNING))) return 0;
    const client = await ctx.client();
    const report = await client.json<{ NetworksDeleted?: string[] | null }>('POST', '/networks/prune', {
      query: { filters: filters || undefined },
    });
    ctx.out.write(pruneOutput(report?.NetworksDeleted));
    return 0;
  },
});
