// berth restart / berth container restart: stop (with the timeout) and start again.

import type { CommandDef } from '../../command.ts';
import { cpath } from './common.ts';
import { each } from './stop.ts';

export const restart: CommandDef = {
  path: ['container', 'restart'],
  aliases: [['restart']],
  summary: 'Restart one or more containers',
  usage: 'berth restart [OPTIONS] CONTAINER [CONTAINER...]',
  args: { min: 1 },
  flags: [
    { name: 'signal', short: 's', type: 'string', description: 'Signal to send to the container' },
    { name: 'timeout', short: 't', type: 'int', description: 'Seconds to wait before killing the container' },
    { name: 'time', type: 'int', description: 'Seconds to wait before killing the container (deprecated)' },
  ],
  async run(ctx, opts, args) {
    const client = await ctx.client();
    const t = opts.timeout ?? opts.time;
    return each(ctx, args, (name) =>
      client.request('POST', cpath(name, '/restart'), {
        query: { signal: (opts.signal as string) || undefined, t: t as number | undefined },
      }),
    );
  },
};
