// berth system prune: remove unused data (dangling images, or with -a every unused image;
// stopped containers, unused networks and build cache once berth has them).

import type { CommandDef } from '../../command.ts';
import { filtersToJSON, parseFilterFlags } from '../../format/filters.ts';
import { humanSize } from '../../format/units.ts';

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
    if (!opts.force) {
      ctx.out.write(
        `WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - ${opts.all ? 'all images without at least one container associated to them' : 'all dangling images'}\n  - ${opts.all ? 'all build cache' : 'unused build cache'}\n\nAre you sure you want to continue? [y/N] `,
      );
      const answer = await new Promise<string>((resolve) => {
        process.stdin.once('data', (d) => resolve(String(d)));
        process.stdin.once('end', () => resolve(''));
      });
      process.stdin.pause();
      if (!/^y(es)?$/i.test(answer.trim())) return 0;
    }
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
    const images = await client.json<{ ImagesDeleted: Item[] | null; SpaceReclaimed: number }>(
      'POST',
      '/images/prune',
      {
        query: { filters: filtersToJSON(filters) },
      },
    );
    const deleted = images.ImagesDeleted ?? [];
    if (deleted.length > 0) {
      ctx.out.write('Deleted Images:\n');
      for (const i of deleted)
        ctx.out.write(i.Untagged ? `untagged: ${i.Untagged}\n` : `deleted: ${i.Deleted}\n`);
      ctx.out.write('\n');
    }
    reclaimed += images.SpaceReclaimed;
    const cache = await client.json<{ SpaceReclaimed: number }>('POST', '/build/prune', {
      query: { all: opts.all ? '1' : undefined },
    });
    reclaimed += cache.SpaceReclaimed;
    ctx.out.write(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
    return 0;
  },
};
