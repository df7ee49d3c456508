// berth export / berth container export: the container's filesystem as a tar archive.

import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { CommandDef } from '../../command.ts';
import { CliError, cpath } from './common.ts';

export const exportCmd: CommandDef = {
  path: ['container', 'export'],
  aliases: [['export']],
  summary: "Export a container's filesystem as a tar archive",
  usage: 'berth export [OPTIONS] CONTAINER',
  args: { min: 1, max: 1 },
  flags: [{ name: 'output', short: 'o', type: 'string', description: 'Write to a file, instead of STDOUT' }],
  async run(ctx, opts, args) {
    const output = opts.output as string | undefined;
    if (!output && process.stdout.isTTY) {
      throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    }
    const client = await ctx.client();
    const res = await client.open('GET', cpath(args[0], '/export'), { signal: ctx.signal });
    await pipeline(res, output ? createWriteStream(output) : ctx.out);
    return 0;
  },
};
