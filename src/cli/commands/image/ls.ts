// berth images / berth image ls: local images, one row per repository and tag.

import type { CommandDef } from '../../command.ts';
import { filtersToJSON, parseFilterFlags } from '../../format/filters.ts';
import { formatImageList, type ImageSummary } from '../../format/lists/images.ts';

export const ls: CommandDef = {
  path: ['image', 'ls'],
  aliases: [['images'], ['image', 'list']],
  summary: 'List images',
  usage: 'berth images [OPTIONS] [REPOSITORY[:TAG]]',
  args: { min: 0, max: 1 },
  flags: [
    {
      name: 'all',
      short: 'a',
      type: 'bool',
      description: 'Show all images (default hides intermediate images)',
    },
    { name: 'digests', type: 'bool', description: 'Show digests' },
    { name: 'filter', short: 'f', type: 'list', description: 'Filter output based on conditions provided' },
    { name: 'format', type: 'string', description: 'Format output using a custom template' },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
  ],
  async run(ctx, opts, args) {
    const filters = parseFilterFlags(opts.filter as string[]);
    if (args[0]) filters.set('reference', new Set([...(filters.get('reference') ?? []), args[0]]));
    const client = await ctx.client();
    const images = await client.json<ImageSummary[]>('GET', '/images/json', {
      query: { all: opts.all ? '1' : undefined, filters: filtersToJSON(filters) || undefined },
    });
    ctx.out.write(
      formatImageList(images, {
        format: opts.format as string | undefined,
        quiet: opts.quiet === true,
        noTrunc: opts['no-trunc'] === true,
        digests: opts.digests === true,
        clock: { now: Date.now() },
      }),
    );
    return 0;
  },
};
