// berth pause / berth container pause: freeze every process of the containers.

import type { CommandDef } from '../../command.ts';
import { cpath, each } from './common.ts';

export const pause: CommandDef = {
  path: ['container', 'pause'],
  aliases: [['pause']],
  summary: 'Pause all processes within one or more containers',
  usage: 'berth pause CONTAINER [CONTAINER...]',
  args: { min: 1 },
  flags: [],
  async run(ctx, _opts, args) {
    const client = await ctx.client();
    return each(ctx, args, (name) => client.request('POST', cpath(name, '/pause')));
  },
};
