// berth attach / berth container attach: the local terminal to a running container's stdio;
// detaching (ctrl-p ctrl-q with a tty) ends it with docker's "read escape sequence".

import type { CommandDef } from '../../command.ts';
import { CliError, type ContainerJSON, cpath, inspectContainer } from './common.ts';
import { forwardSignals, streamHijacked } from './streams.ts';

async function runningContainer(client: Parameters<typeof inspectContainer>[0], name: string) {
  const c: ContainerJSON = await inspectContainer(client, name);
  if (!c.State.Running) throw new CliError('You cannot attach to a stopped container, start it first');
  if (c.State.Paused) throw new CliError('You cannot attach to a paused container, unpause it first');
  if (c.State.Restarting) {
    throw new CliError('You cannot attach to a restarting container, wait until it is running');
  }
  return c;
}

export const attach: CommandDef = {
  path: ['container', 'attach'],
  aliases: [['attach']],
  summary: 'Attach local standard input, output, and error streams to a running container',
  usage: 'berth attach [OPTIONS] CONTAINER',
  args: { min: 1, max: 1 },
  flags: [
    {
      name: 'detach-keys',
      type: 'string',
      description: 'Override the key sequence for detaching a container',
    },
    { name: 'no-stdin', type: 'bool', description: 'Do not attach STDIN' },
    {
      name: 'sig-proxy',
      type: 'bool',
      description: 'Proxy all received signals to the process',
      default: true,
    },
  ],
  async run(ctx, opts, args) {
    const client = await ctx.client();
    const name = args[0];
    const c = await runningContainer(client, name);
    const withStdin = !opts['no-stdin'] && c.Config.OpenStdin;
    const detachKeys = (opts['detach-keys'] as string) || undefined;
    const stopSignals =
      opts['sig-proxy'] !== false && !c.Config.Tty ? forwardSignals(client, c.Id) : () => {};
    const controller = new AbortController();
    try {
      const res = await client.open('POST', cpath(name, '/wait'), { signal: controller.signal });
      const result = (async () => {
        let text = '';
        for await (const chunk of res) text += chunk;
        return JSON.parse(text) as { StatusCode: number; Error?: { Message?: string } | null };
      })();
      result.catch(() => {});
      const conn = await client.hijack('POST', cpath(name, '/attach'), {
        query: { stream: 1, stdin: withStdin ? 1 : undefined, stdout: 1, stderr: 1, detachKeys },
      });
      await runningContainer(client, name);
      if (c.Config.Tty && process.stdout.isTTY) {
        const { rows, columns } = process.stdout;
        await client
          .request('POST', cpath(name, '/resize'), { query: { h: rows, w: columns } })
          .catch(() => {});
      }
      const end = await streamHijacked({
        conn,
        tty: c.Config.Tty,
        stdin: withStdin ? process.stdin : undefined,
        stdout: process.stdout,
        stderr: process.stderr,
        detachKeys,
        warn: (m) => ctx.err.write(`WARNING: ${m}\n`),
      });
      if (end === 'detached') {
        ctx.err.write('read escape sequence\n');
        return 1;
      }
      const status = await result;
      if (status.Error?.Message) throw new CliError(status.Error.Message);
      return status.StatusCode;
    } finally {
      controller.abort();
      stopSignals();
      if (withStdin) process.stdin.destroy();
    }
  },
};
