// berth container inspect: Docker's JSON for containers (a JSON array, or --format).

import type { CommandDef } from '../../command.ts';
import { writeInspect } from '../image/inspect.ts';
import { cpath, errorText } from './common.ts';

export const inspect: CommandDef = {
  path: ['container', 'inspect'],
  summary: 'Display detailed information on one or more containers',
  usage: 'berth container inspect [OPTIONS] CONTAINER [CONTAINER...]',
  args: { min: 1 },
  flags: [
    { name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template' },
    { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes' },
  ],
  async run(ctx, opts, args) {
    const client = await ctx.client();
    const found: unknown[] = [];
    const errors: string[] = [];
    for (const name of args) {
      try {
        found.push(
          await client.json('GET', cpath(name, '/json'), { query: { size: opts.size ? 1 : undefined } }),
        );
      } catch (err) {
        errors.push(errorText(err));
      }
    }
    writeInspect(ctx.out, found, opts.format as string | undefined);
    for (const e of errors) ctx.err.write(`${e}\n`);
    return errors.length ? 1 : 0;
  },
};
