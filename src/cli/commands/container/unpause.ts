// berth unpause / berth container unpause: thaw paused containers.

import type { CommandDef } from '../../command.ts';
import { cpath, each } from './common.ts';

export const unpause: CommandDef = {
  path: ['container', 'unpause'],
  aliases: [['unpause']],
  summary: 'Unpause all processes within one or more containers',
  usage: 'berth unpause CONTAINER [CONTAINER...]',
  args: { min: 1 },
  flags: [],
  async run(ctx, _opts, args) {
    const client = await ctx.client();
    return each(ctx, args, (name) => client.request('POST', cpath(name, '/unpause')));
  },
};
