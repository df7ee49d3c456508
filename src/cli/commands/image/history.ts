// berth history / berth image history: the layers of an image and the steps that made them.

import type { CommandDef } from '../../command.ts';
import { renderFormat } from '../../format/format.ts';
import { ellipsis, humanSince, humanSizeWithPrecision, truncateID } from '../../format/units.ts';

interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

const DEFAULT = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const HEADERS = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

export const history: CommandDef = {
  path: ['image', 'history'],
  aliases: [['history']],
  summary: 'Show the history of an image',
  usage: 'berth history [OPTIONS] IMAGE',
  args: { min: 1, max: 1 },
  flags: [
    { name: 'format', type: 'string', description: 'Format output using a custom template' },
    {
      name: 'human',
      short: 'H',
      type: 'bool',
      description: 'Print sizes and dates in human readable format',
      default: true,
    },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
  ],
  async run(ctx, opts, args) {
    const client = await ctx.client();
    const items = await client.json<HistoryItem[]>('GET', `/images/${encodeURIComponent(args[0])}/history`);
    const trunc = opts['no-trunc'] !== true;
    const human = opts.human !== false;
    const now = Date.now();
    const rows = items.map((h) => ({
      ID: h.Id === '<missing>' || !trunc ? h.Id : truncateID(h.Id),
      CreatedSince: human ? humanSince(h.Created * 1000, now) : new Date(h.Created * 1000).toISOString(),
      CreatedAt: new Date(h.Created * 1000).toISOString(),
      CreatedBy: trunc ? ellipsis(h.CreatedBy.replace(/\t/g, ' '), 45) : h.CreatedBy,
      Size: human ? humanSizeWithPrecision(h.Size, 3) : String(h.Size),
      Comment: h.Comment,
    }));
    const format = opts.quiet ? '{{.ID}}' : ((opts.format as string | undefined) ?? DEFAULT);
    ctx.out.write(renderFormat(format, rows, HEADERS));
    return 0;
  },
};
