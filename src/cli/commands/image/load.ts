// berth load / berth image load: images from a tar archive (docker-archive or OCI layout).

import { createReadStream } from 'node:fs';
import type { CommandDef } from '../../command.ts';
import { progressLines } from './progress.ts';

export const load: CommandDef = {
  path: ['image', 'load'],
  aliases: [['load']],
  summary: 'Load an image from a tar archive or STDIN',
  usage: 'berth load [OPTIONS]',
  args: { min: 0, max: 0 },
  flags: [
    {
      name: 'input',
      short: 'i',
      type: 'string',
      description: 'Read from tar archive file, instead of STDIN',
    },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the load output' },
  ],
  async run(ctx, opts) {
    const input = opts.input as string | undefined;
    if (!input && process.stdin.isTTY) {
      throw new Error('requested load from stdin, but stdin is empty');
    }
    const client = await ctx.client();
    const body = input ? createReadStream(input) : process.stdin;
    return progressLines(
      ctx,
      client.stream('POST', '/images/load', {
        query: { quiet: opts.quiet ? '1' : '0' },
        body,
        headers: { 'Content-Type': 'application/x-tar' },
        signal: ctx.signal,
      }),
    );
  },
};
