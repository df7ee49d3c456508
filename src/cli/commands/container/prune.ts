// berth container prune: remove every stopped container (after a confirmation unless -f).

import type { CommandDef } from '../../command.ts';
import { filtersToJSON, parseFilterFlags } from '../../format/filters.ts';
import { humanSize } from '../../format/units.ts';
import { confirm } from '../../prompt.ts';

export const prune: CommandDef = {
  path: ['container', 'prune'],
  summary: 'Remove all stopped containers',
  usage: 'berth container prune [OPTIONS]',
  args: { min: 0, max: 0 },
  flags: [
    { name: 'filter', type: 'list', description: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  ],
  async run(ctx, opts) {
    if (!opts.force && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.'))) return 0;
    const filters = filtersToJSON(parseFilterFlags(opts.filter as string[]));
    const client = await ctx.client();
    const res = await client.json<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>(
      'POST',
      '/containers/prune',
      { query: { filters: filters || undefined } },
    );
    const deleted = res.ContainersDeleted ?? [];
    if (deleted.length) ctx.out.write(`Deleted Containers:\n${deleted.map((id) => `${id}\n`).join('')}\n`);
    ctx.out.write(`Total reclaimed space: ${humanSize(res.SpaceReclaimed)}\n`);
    return 0;
  },
};
