// berth inspect: low-level information on objects of any type (containers, then images, then
// networks; volumes join as they exist), as the docker CLI's inspect without --type.

import { DaemonError } from '../../../api/client/client.ts';
import type { CommandDef } from '../../command.ts';
import { writeInspect } from '../image/inspect.ts';

const KINDS: Record<string, (name: string, size: boolean) => string> = {
  container: (n, size) => `/containers/${encodeURIComponent(n)}/json${size ? '?size=1' : ''}`,
  image: (n) => `/images/${encodeURIComponent(n)}/json`,
  network: (n) => `/networks/${encodeURIComponent(n)}`,
};

export const inspect: CommandDef = {
  path: ['inspect'],
  summary: 'Return low-level information on berth objects',
  usage: 'berth inspect [OPTIONS] NAME|ID [NAME|ID...]',
  args: { min: 1 },
  flags: [
    { name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template' },
    { name: 'type', type: 'string', description: 'Return JSON for specified type' },
    {
      name: 'size',
      short: 's',
      type: 'bool',
      description: 'Display total file sizes if the type is container',
    },
  ],
  async run(ctx, opts, args) {
    const type = opts.type as string | undefined;
    if (type && !KINDS[type]) throw new DaemonError(400, `"${type}" is not a valid value for --type`);
    const kinds = type ? [type] : Object.keys(KINDS);
    const client = await ctx.client();
    const found: unknown[] = [];
    let status = 0;
    for (const name of args) {
      let object: unknown;
      for (const kind of kinds) {
        try {
          object = await client.json('GET', KINDS[kind](name, opts.size === true));
          break;
        } catch (err) {
          if (!(err instanceof DaemonError) || err.status !== 404) throw err;
        }
      }
      if (object === undefined) {
        ctx.err.write(`Error: No such object: ${name}\n`);
        status = 1;
      } else found.push(object);
    }
    writeInspect(ctx.out, found, opts.format as string | undefined);
    return status;
  },
};
