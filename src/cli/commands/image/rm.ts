// berth rmi / berth image rm: untag, and delete images no name refers to any more.

import { DaemonError } from '../../../api/client/client.ts';
import type { CommandDef } from '../../command.ts';

type Item = { Untagged?: string; Deleted?: string };

export const rm: CommandDef = {
  path: ['image', 'rm'],
  aliases: [['rmi'], ['image', 'remove']],
  summary: 'Remove one or more images',
  usage: 'berth rmi [OPTIONS] IMAGE [IMAGE...]',
  args: { min: 1 },
  flags: [
    { name: 'force', short: 'f', type: 'bool', description: 'Force removal of the image' },
    { name: 'no-prune', type: 'bool', description: 'Do not delete untagged parents' },
  ],
  async run(ctx, opts, args) {
    const client = await ctx.client();
    let status = 0;
    for (const name of args) {
      try {
        const items = await client.json<Item[]>('DELETE', `/images/${encodeURIComponent(name)}`, {
          query: { force: opts.force ? '1' : undefined, noprune: opts['no-prune'] ? '1' : undefined },
        });
        for (const item of items) {
          if (item.Untagged) ctx.out.write(`Untagged: ${item.Untagged}\n`);
          if (item.Deleted) ctx.out.write(`Deleted: ${item.Deleted}\n`);
        }
      } catch (err) {
        if (!(err instanceof DaemonError)) throw err;
        ctx.err.write(`Error response from daemon: ${err.message}\n`);
        status = 1;
      }
    }
    return status;
  },
};
