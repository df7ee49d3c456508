// berth kill / berth container kill: a signal (SIGKILL unless --signal) to the container's process.

import type { CommandDef } from '../../command.ts';
import { cpath, each } from './common.ts';

export const kill: CommandDef = {
  path: ['container', 'kill'],
  aliases: [['kill']],
  summary: 'Kill one or more running containers',
  usage: 'berth kill [OPTIONS] CONTAINER [CONTAINER...]',
  args: { min: 1 },
  flags: [{ name: 'signal', short: 's', type: 'string', description: 'Signal to send to the container' }],
  async run(ctx, opts, args) {
    const client = await ctx.client();
    return each(ctx, args, (name) =>
      client.request('POST', cpath(name, '/kill'), {
        query: { signal: (opts.signal as string) || undefined },
      }),
    );
  },
};
