// berth start / berth container start: start stopped containers; with -a/-i attach to one
// first (as run does) and exit with its status.

import type { CommandDef } from '../../command.ts';
import { cpath, errorText, inspectContainer, waitExitOrRemoved } from './common.ts';
import { forwardSignals, monitorTtySize, streamHijacked } from './streams.ts';

export const start: CommandDef = {
  path: ['container', 'start'],
  aliases: [['start']],
  summary: 'Start one or more stopped containers',
  usage: 'berth start [OPTIONS] CONTAINER [CONTAINER...]',
  args: { min: 1 },
  flags: [
    { name: 'attach', short: 'a', type: 'bool', description: 'Attach STDOUT/STDERR and forward signals' },
    {
      name: 'detach-keys',
      type: 'string',
      description: 'Override the key sequence for detaching a container',
    },
    { name: 'interactive', short: 'i', type: 'bool', description: "Attach container's STDIN" },
  ],
  async run(ctx, opts, args) {
    const client = await ctx.client();
    if (!opts.attach && !opts.interactive) {
      const failed: string[] = [];
      for (const name of args) {
        try {
          await client.request('POST', cpath(name, '/start'));
          ctx.out.write(`${name}\n`);
        } catch (err) {
          ctx.err.write(`${errorText(err)}\n`);
          failed.push(name);
        }
      }
      if (failed.length === 0) return 0;
      ctx.err.write(`Error: failed to start containers: ${failed.join(', ')}\n`);
      return 1;
    }
    if (args.length > 1) {
      ctx.err.write('you cannot start and attach multiple containers at once\n');
      return 1;
    }
    const c = await inspectContainer(client, args[0]);
    const stopSignals = c.Config.Tty ? () => {} : forwardSignals(client, c.Id);
    const withStdin = opts.interactive === true && c.Config.OpenStdin;
    const detachKeys = (opts['detach-keys'] as string) || undefined;
    let cancelWait = () => {};
    try {
      const conn = await client.hijack('POST', cpath(c.Id, '/attach'), {
        query: { stream: 1, stdin: withStdin ? 1 : undefined, stdout: 1, stderr: 1, detachKeys },
      });
      const streamed = streamHijacked({
        conn,
        tty: c.Config.Tty,
        stdin: withStdin ? process.stdin : undefined,
        stdout: process.stdout,
        stderr: process.stderr,
        detachKeys,
        warn: (m) => ctx.err.write(`WARNING: ${m}\n`),
      });
      streamed.catch(() => {});
      const wait = await waitExitOrRemoved(ctx, client, c.Id, c.HostConfig?.AutoRemove === true);
      cancelWait = wait.cancel;
      try {
        await client.request('POST', cpath(c.Id, '/start'));
      } catch (err) {
        conn.socket.destroy();
        await streamed.catch(() => {});
        if (c.HostConfig?.AutoRemove) await wait.status;
        throw err;
      }
      const stopResize =
        c.Config.Tty && process.stdout.isTTY ? monitorTtySize(client, cpath(c.Id), process.stdout) : () => {};
      try {
        if ((await streamed) === 'detached') return 0;
      } finally {
        stopResize();
      }
      return await wait.status;
    } finally {
      cancelWait();
      stopSignals();
      if (withStdin) process.stdin.destroy();
    }
  },
};
