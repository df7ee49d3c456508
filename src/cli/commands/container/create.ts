// berth create / berth container create: a container from an image, not started; prints its ID.

import { DaemonError } from '../../../api/client/client.ts';
import type { CommandContext } from '../../command.ts';
import { containerFlags } from '../../opts/container-flags.ts';
import type { RawCommandDef } from '../../opts/flags.ts';
import { CREATE_SUMMARY, CREATE_USAGE, type PrepareEnv, prepareContainer } from '../../opts/prepare.ts';
import { createContainer } from './common.ts';

/** What the flag parsing needs from the process: its environment, cwd and terminal. */
export function processEnv(): PrepareEnv {
  const out = process.stdout;
  return {
    lookup: (name) => process.env[name],
    cwd: process.cwd(),
    consoleSize: out.isTTY && out.rows ? [out.rows, out.columns] : undefined,
  };
}

export const create: RawCommandDef = {
  path: ['container', 'create'],
  aliases: [['create']],
  summary: CREATE_SUMMARY,
  usage: CREATE_USAGE,
  flags: containerFlags(processEnv()),
  async run() {
    return 0;
  },
  async runRaw(ctx: CommandContext, words: string[]) {
    const prepared = prepareContainer('create', words, processEnv());
    if (!prepared.ok) {
      if (prepared.stdout) ctx.out.write(prepared.stdout);
      if (prepared.stderr) ctx.err.write(prepared.stderr);
      return prepared.status;
    }
    const { request, parsed } = prepared;
    const client = await ctx.client();
    try {
      const id = await createContainer(ctx, client, request, {
        cidfile: String(parsed.opts.cidfile ?? ''),
        quiet: parsed.opts.quiet === true,
        pull: String(parsed.opts.pull ?? 'missing'),
      });
      ctx.out.write(`${id}\n`);
      return 0;
    } catch (err) {
      if (err instanceof DaemonError) ctx.err.write(`Error response from daemon: ${err.message}\n`);
      else ctx.err.write(`${(err as Error).message}\n`);
      return 1;
    }
  },
};
