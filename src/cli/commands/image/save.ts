// berth save / berth image save: images as a tar archive, to a file or stdout.

import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { CommandDef } from '../../command.ts';

export const save: CommandDef = {
  path: ['image', 'save'],
  aliases: [['save']],
  summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  usage: 'berth save [OPTIONS] IMAGE [IMAGE...]',
  args: { min: 1 },
  flags: [{ name: 'output', short: 'o', type: 'string', description: 'Write to a file, instead of STDOUT' }],
  async run(ctx, opts, args) {
    const output = opts.output as string | undefined;
    if (!output && process.stdout.isTTY) {
      throw new Error('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    }
    const client = await ctx.client();
    const res = await client.open('GET', '/images/get', { query: { names: args }, signal: ctx.signal });
    await pipeline(res, output ? createWriteStream(output) : ctx.out);
    return 0;
  },
};
