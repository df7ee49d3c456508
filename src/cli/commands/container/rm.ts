// berth rm / berth container rm: remove containers (running ones with -f); with -f a missing
// container is reported but is not a failure, as with docker.

import type { CommandDef } from '../../command.ts';
import { cpath, errorText, isNotFound } from './common.ts';

export const rm: CommandDef = {
  path: ['container', 'rm'],
  aliases: [['rm'], ['container', 'remove']],
  summary: 'Remove one or more containers',
  usage: 'berth rm [OPTIONS] CONTAINER [CONTAINER...]',
  args: { min: 1 },
  flags: [
    {
      name: 'force',
      short: 'f',
      type: 'bool',
      description: 'Force the removal of a running container (uses SIGKILL)',
    },
    { name: 'link', short: 'l', type: 'bool', description: 'Remove the specified link' },
    {
      name: 'volumes',
      short: 'v',
      type: 'bool',
      description: 'Remove anonymous volumes associated with the container',
    },
  ],
  async run(ctx, opts, args) {
    const client = await ctx.client();
    const errors: string[] = [];
    for (const name of args) {
      try {
        const id = name.replace(/^\/+|\/+$/g, '');
        if (id === '') throw new Error('Container name cannot be empty');
        await client.request('DELETE', cpath(id), {
          query: {
            force: opts.force ? 1 : undefined,
            link: opts.link ? 1 : undefined,
            v: opts.volumes ? 1 : undefined,
          },
        });
        ctx.out.write(`${name}\n`);
      } catch (err) {
        if (opts.force && isNotFound(err)) ctx.err.write(`${errorText(err)}\n`);
        else errors.push(errorText(err));
      }
    }
    for (const e of errors) ctx.err.write(`${e}\n`);
    return errors.length ? 1 : 0;
  },
};
