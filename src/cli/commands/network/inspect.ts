// berth network inspect: GET /networks/{id} for each name; the found ones as a JSON array (or
// through --format), then every error, as docker's inspect.Inspect does.

import { parseFormat } from '../../format/format.ts';
import { marshal } from '../../format/gojson.ts';
import { errorText } from '../container/common.ts';
import { writeInspect } from '../image/inspect.ts';
import { interspersed, npath } from './common.ts';

export const inspect = interspersed({
  path: ['network', 'inspect'],
  summary: 'Display detailed information on one or more networks',
  usage: 'berth network inspect [OPTIONS] NETWORK [NETWORK...]',
  args: { min: 1 },
  flags: [
    { name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template' },
    { name: 'verbose', short: 'v', type: 'bool', description: 'Verbose output for diagnostics' },
  ],
  async run(ctx, { opts, args }) {
    const format = (opts.format as string | undefined) || undefined;
    if (format && format !== 'json') {
      try {
        parseFormat(format);
      } catch (err) {
        ctx.err.write(`${(err as Error).message}\n`);
        return 64;
      }
    }
    const client = await ctx.client();
    const found: unknown[] = [];
    const errors: string[] = [];
    for (const name of args) {
      try {
        found.push(
          await client.json('GET', npath(name), { query: { verbose: opts.verbose ? 'true' : undefined } }),
        );
      } catch (err) {
        errors.push(errorText(err));
      }
    }
    // `json` is the inspector's own compact array, not a template.
    if (format === 'json') ctx.out.write(`${marshal(found, { escapeHTML: false })}\n`);
    else writeInspect(ctx.out, found, format);
    if (!errors.length) return 0;
    ctx.err.write(`${errors.join('\n')}\n`);
    return 1;
  },
});
