// berth image inspect: Docker's JSON for one or more images (a JSON array, or --format).

import { DaemonError } from '../../../api/client/client.ts';
import type { CommandDef } from '../../command.ts';
import { renderFormat } from '../../format/format.ts';

/** Inspect output: the objects as an indented JSON array, or each through --format. */
export function writeInspect(
  out: NodeJS.WritableStream,
  objects: unknown[],
  format: string | undefined,
): void {
  if (format) out.write(renderFormat(format, objects));
  else out.write(`${JSON.stringify(objects, null, 4)}\n`);
}

export const inspect: CommandDef = {
  path: ['image', 'inspect'],
  summary: 'Display detailed information on one or more images',
  usage: 'berth image inspect [OPTIONS] IMAGE [IMAGE...]',
  args: { min: 1 },
  flags: [
    { name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template' },
  ],
  async run(ctx, opts, args) {
    const client = await ctx.client();
    const found: unknown[] = [];
    let failed: DaemonError | undefined;
    for (const name of args) {
      try {
        found.push(await client.json('GET', `/images/${encodeURIComponent(name)}/json`));
      } catch (err) {
        if (!(err instanceof DaemonError) || err.status !== 404) throw err;
        failed = err;
        ctx.err.write(`Error: No such image: ${name}\n`);
      }
    }
    writeInspect(ctx.out, found, opts.format as string | undefined);
    return failed ? 1 : 0;
  },
};
