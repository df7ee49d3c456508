// berth top / berth container top: the container's processes, as `ps` inside it would list them.

import type { CommandDef } from '../../command.ts';
import { tabwrite } from '../../format/tabwriter.ts';
import { nonInterspersed } from '../../opts/flags.ts';
import { cpath } from './common.ts';

export const top = nonInterspersed({
  path: ['container', 'top'],
  aliases: [['top']],
  summary: 'Display the running processes of a container',
  usage: 'berth top CONTAINER [ps OPTIONS]',
  args: { min: 1 },
  flags: [],
  async run(ctx, _opts, args) {
    const client = await ctx.client();
    const res = await client.json<{ Titles: string[]; Processes: string[][] | null }>(
      'GET',
      cpath(args[0], '/top'),
      {
        query: { ps_args: args.length > 1 ? args.slice(1).join(' ') : undefined },
      },
    );
    const lines = [res.Titles.join('\t'), ...(res.Processes ?? []).map((p) => p.join('\t'))];
    ctx.out.write(tabwrite(`${lines.join('\n')}\n`, { minwidth: 20, padding: 3, padchar: ' ' }));
    return 0;
  },
} satisfies CommandDef);
