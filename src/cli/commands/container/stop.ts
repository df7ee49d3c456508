// berth stop: SIGTERM (or --signal), then SIGKILL after the timeout; berth restart: the same,
// then start again. (`berth container stop|restart` too.)

import type { CommandDef } from '../../command.ts';
import { cpath, each } from './common.ts';

/** stop and restart: the same flags, a different endpoint. */
function stopping(verb: 'stop' | 'restart', summary: string): CommandDef {
  return {
    path: ['container', verb],
    aliases: [[verb]],
    summary,
    usage: `berth ${verb} [OPTIONS] CONTAINER [CONTAINER...]`,
    args: { min: 1 },
    flags: [
      { name: 'signal', short: 's', type: 'string', description: 'Signal to send to the container' },
      {
        name: 'timeout',
        short: 't',
        type: 'int',
        description: 'Seconds to wait before killing the container',
      },
      { name: 'time', type: 'int', description: 'Seconds to wait before killing the container (deprecated)' },
    ],
    async run(ctx, opts, args) {
      const client = await ctx.client();
      const t = opts.timeout ?? opts.time;
      return each(ctx, args, (name) =>
        client.request('POST', cpath(name, `/${verb}`), {
          query: { signal: (opts.signal as string) || undefined, t: t as number | undefined },
        }),
      );
    },
  };
}

export const stop = stopping('stop', 'Stop one or more running containers');
export const restart = stopping('restart', 'Restart one or more containers');
