// berth stop / berth container stop: SIGTERM (or --signal), then SIGKILL after the timeout.

import type { CommandDef } from '../../command.ts';
import { cpath, errorText } from './common.ts';

export const stop: CommandDef = {
  path: ['container', 'stop'],
  aliases: [['stop']],
  summary: 'Stop one or more running containers',
  usage: 'berth stop [OPTIONS] CONTAINER [CONTAINER...]',
  args: { min: 1 },
  flags: [
    { name: 'signal', short: 's', type: 'string', description: 'Signal to send to the container' },
    { name: 'timeout', short: 't', type: 'int', description: 'Seconds to wait before killing the container' },
    { name: 'time', type: 'int', description: 'Seconds to wait before killing the container (deprecated)' },
  ],
  async run(ctx, opts, args) {
    const client = await ctx.client();
    const t = opts.timeout ?? opts.time;
    return each(ctx, args, (name) =>
      client.request('POST', cpath(name, '/stop'), {
        query: { signal: (opts.signal as string) || undefined, t: t as number | undefined },
      }),
    );
  },
};

/**
 * docker's parallelOperation loop: each name printed once its call succeeds, every failure
 * printed at the end (`Error response from daemon: …`); status 1 if any failed.
 */
export async function each(
  ctx: { out: NodeJS.WritableStream; err: NodeJS.WritableStream },
  names: readonly string[],
  op: (name: string) => Promise<unknown>,
): Promise<number> {
  const errors: string[] = [];
  for (const name of names) {
    try {
      await op(name);
      ctx.out.write(`${name}\n`);
    } catch (err) {
      errors.push(errorText(err));
    }
  }
  for (const e of errors) ctx.err.write(`${e}\n`);
  return errors.length ? 1 : 0;
}
