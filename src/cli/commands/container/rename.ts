// berth rename / berth container rename: give a container a new name.

import type { CommandDef } from '../../command.ts';
import { cpath, errorText } from './common.ts';

export const rename: CommandDef = {
  path: ['container', 'rename'],
  aliases: [['rename']],
  summary: 'Rename a container',
  usage: 'berth rename CONTAINER NEW_NAME',
  args: { min: 2, max: 2 },
  flags: [],
  async run(ctx, _opts, args) {
    const oldName = args[0].trim();
    const newName = args[1].trim();
    if (oldName === '' || newName === '') {
      ctx.err.write('Error: Neither old nor new names may be empty\n');
      return 1;
    }
    const client = await ctx.client();
    try {
      await client.request('POST', cpath(oldName, '/rename'), { query: { name: newName } });
      return 0;
    } catch (err) {
      ctx.err.write(`${errorText(err)}\nError: failed to rename container named ${oldName}\n`);
      return 1;
    }
  },
};
