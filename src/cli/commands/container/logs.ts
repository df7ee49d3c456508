// berth logs / berth container logs: the container's output (frames unless it has a tty);
// --since/--until take RFC 3339 times, Unix timestamps or durations (`10m`) as docker's.

import { copyRaw, demux } from '../../../api/client/stdcopy.ts';
import type { CommandDef } from '../../command.ts';
import { getTimestamp } from '../../opts/timestamp.ts';
import { cpath, inspectContainer } from './common.ts';

export const logs: CommandDef = {
  path: ['container', 'logs'],
  aliases: [['logs']],
  summary: 'Fetch the logs of a container',
  usage: 'berth logs [OPTIONS] CONTAINER',
  args: { min: 1, max: 1 },
  flags: [
    { name: 'details', type: 'bool', description: 'Show extra details provided to logs' },
    { name: 'follow', short: 'f', type: 'bool', description: 'Follow log output' },
    {
      name: 'since',
      type: 'string',
      description:
        'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)',
    },
    {
      name: 'tail',
      short: 'n',
      type: 'string',
      description: 'Number of lines to show from the end of the logs',
      default: 'all',
    },
    { name: 'timestamps', short: 't', type: 'bool', description: 'Show timestamps' },
    {
      name: 'until',
      type: 'string',
      description:
        'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)',
    },
  ],
  async run(ctx, opts, args) {
    const client = await ctx.client();
    const c = await inspectContainer(client, args[0]);
    const now = new Date();
    const since = opts.since ? getTimestamp(String(opts.since), now) : undefined;
    const until = opts.until ? getTimestamp(String(opts.until), now) : undefined;
    const res = await client.open('GET', cpath(c.Id, '/logs'), {
      query: {
        stdout: 1,
        stderr: 1,
        since,
        until,
        timestamps: opts.timestamps ? 1 : undefined,
        follow: opts.follow ? 1 : undefined,
        tail: opts.tail as string,
        details: opts.details ? 1 : undefined,
      },
      signal: ctx.signal,
    });
    const out = ctx.out as unknown as NodeJS.WriteStream;
    try {
      if (c.Config.Tty) await copyRaw(res, out);
      else await demux(res, out, ctx.err as unknown as NodeJS.WriteStream);
    } catch (err) {
      // Interrupted (ctrl-c with --follow): docker's status for a cancelled command.
      if (ctx.signal.aborted) return 130;
      throw err;
    }
    return 0;
  },
};
