// berth image prune: remove dangling images, or with -a every image no container uses.

import type { CommandDef } from '../../command.ts';
import { filtersToJSON, parseFilterFlags } from '../../format/filters.ts';
import { humanSize } from '../../format/units.ts';
import { confirm } from '../../prompt.ts';

type Item = { Untagged?: string; Deleted?: string };

export const prune: CommandDef = {
  path: ['image', 'prune'],
  summary: 'Remove unused images',
  usage: 'berth image prune [OPTIONS]',
  args: { min: 0, max: 0 },
  flags: [
    {
      name: 'all',
      short: 'a',
      type: 'bool',
      description: 'Remove all unused images, not just dangling ones',
    },
    { name: 'filter', type: 'list', description: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  ],
  async run(ctx, opts) {
    const what = opts.all
      ? 'all images without at least one container associated to them'
      : 'all dangling images';
    if (!opts.force && !(await confirm(ctx, `WARNING! This will remove ${what}.`))) return 0;
    const filters = parseFilterFlags(opts.filter as string[]);
    filters.set('dangling', new Set([opts.all ? 'false' : 'true']));
    const client = await ctx.client();
    const res = await client.json<{ ImagesDeleted: Item[] | null; SpaceReclaimed: number }>(
      'POST',
      '/images/prune',
      {
        query: { filters: filtersToJSON(filters) },
      },
    );
    const items = res.ImagesDeleted ?? [];
    if (items.length > 0) {
      ctx.out.write('Deleted Images:\n');
      for (const i of items)
        ctx.out.write(i.Untagged ? `untagged: ${i.Untagged}\n` : `deleted: ${i.Deleted}\n`);
      ctx.out.write('\n');
    }
    ctx.out.write(`Total reclaimed space: ${humanSize(res.SpaceReclaimed)}\n`);
    return 0;
  },
};
