// berth diff / berth container diff: files changed in the container's filesystem (C/A/D).

import type { CommandDef } from '../../command.ts';
import { cpath } from './common.ts';

const KIND = ['C', 'A', 'D'];

export const diff: CommandDef = {
  path: ['container', 'diff'],
  aliases: [['diff']],
  summary: "Inspect changes to files or directories on a container's filesystem",
  usage: 'berth diff CONTAINER',
  args: { min: 1, max: 1 },
  flags: [],
  async run(ctx, _opts, args) {
    const client = await ctx.client();
    const changes = await client.json<{ Kind: number; Path: string }[] | null>(
      'GET',
      cpath(args[0], '/changes'),
    );
    for (const c of changes ?? []) ctx.out.write(`${KIND[c.Kind] ?? '?'} ${c.Path}\n`);
    return 0;
  },
};
