// berth wait / berth container wait: block until the containers stop; print their exit codes.

import type { CommandDef } from '../../command.ts';
import { cpath, errorText } from './common.ts';

export const wait: CommandDef = {
  path: ['container', 'wait'],
  aliases: [['wait']],
  summary: 'Block until one or more containers stop, then print their exit codes',
  usage: 'berth wait CONTAINER [CONTAINER...]',
  args: { min: 1 },
  flags: [],
  async run(ctx, _opts, args) {
    const client = await ctx.client();
    const errors: string[] = [];
    for (const name of args) {
      try {
        const res = await client.json<{ StatusCode: number; Error?: { Message?: string } | null }>(
          'POST',
          cpath(name, '/wait'),
          { signal: ctx.signal },
        );
        if (res.Error?.Message) throw new Error(res.Error.Message);
        ctx.out.write(`${res.StatusCode}\n`);
      } catch (err) {
        errors.push(errorText(err));
      }
    }
    for (const e of errors) ctx.err.write(`${e}\n`);
    return errors.length ? 1 : 0;
  },
};
