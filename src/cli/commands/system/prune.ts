// berth system prune: remove unused data (dangling images, or with -a every unused image;
// stopped containers, unused networks and build cache once berth has them).

import type { CommandDef } from '../../command.ts';
import { filtersToJSON, parseFilterFlags } from '../../format/filters.ts';
import { humanSize } from '../../format/units.ts';
import { confirm } from '../../prompt.ts';

type Item = { Untagged?: string; Deleted?: string };

export const prune: CommandDef = {
  path: ['system', 'prune'],
  summary: 'Remove unused data',
  usage: 'berth system prune [OPTIONS]',
  args: { min: 0, max: 0 },
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused images not just dangling ones' },
    { name: 'filter', type: 'list', description: 'Provide filter values (e.g. "label=<key>=<value>")' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
    { name: 'volumes', type: 'bool', description: 'Prune anonymous volumes' },
  ],
  async run(ctx, opts) {
    const images = opts.all
      ? 'all images without at least one container associated to them'
      : 'all dangling images';
    const cache = opts.all ? 'all build cache' : 'unused build cache';
    const warning = `WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - ${images}\n  - ${cache}\n`;
    if (!opts.force && !(await confirm(ctx, warning))) return 0;
    const client = await ctx.client();
    const filters = parseFilterFlags(opts.filter as string[]);
    let reclaimed = 0;
    const base = filtersToJSON(filters) || undefined;
    const c = await client.json<{ SpaceReclaimed: number }>('POST', '/containers/prune', {
      query: { filters: base },
    });
    reclaimed += c.SpaceReclaimed;
    await client.json('POST', '/networks/prune', { query: { filters: base } });
    filters.set('dangling', new Set([opts.all ? 'false' : 'true']));
    const pruned = await client.json<{ ImagesDeleted: Item[] | null; SpaceReclaimed: number }>(
      'POST',
      '/images/prune',
      {
        query: { filters: filtersToJSON(filters) },
      },
    );
    const deleted = pruned.ImagesDeleted ?? [];
    if (deleted.length > 0) {
      ctx.out.write('Deleted Images:\n');
      for (const i of deleted)
        ctx.out.write(i.Untagged ? `untagged: ${i.Untagged}\n` : `deleted: ${i.Deleted}\n`);
      ctx.out.write('\n');
    }
    reclaimed += pruned.SpaceReclaimed;
    const built = await client.json<{ SpaceReclaimed: number }>('POST', '/build/prune', {
      query: { all: opts.all ? '1' : undefined },
    });
    reclaimed += built.SpaceReclaimed;
    ctx.out.write(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
    return 0;
  },
};
