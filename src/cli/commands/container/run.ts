// berth run / berth container run, as docker's runContainer: create → attach (hijacked) and wait
// (next-exit, or removed with --rm), sent together → start → resize with a tty; signals forwarded to the
// container; the exit status is the container's (125 for daemon errors, 126/127 passed through).

import { DaemonError } from '../../../api/client/client.ts';
import type { CommandContext } from '../../command.ts';
import { runFlags } from '../../opts/container-flags.ts';
import { commandErrorText, type RawCommandDef } from '../../opts/flags.ts';
import { prepareContainer, RUN_SUMMARY, RUN_USAGE } from '../../opts/prepare.ts';
import { cpath, createContainer, startErrorStatus, waitExitOrRemoved } from './common.ts';
import { processEnv } from './create.ts';
import { forwardSignals, monitorTtySize, type StreamEnd, streamHijacked } from './streams.ts';

const report = (ctx: CommandContext, err: unknown) => {
  const message =
    err instanceof DaemonError ? `Error response from daemon: ${err.message}` : (err as Error).message;
  ctx.err.write(commandErrorText(RUN_USAGE, message));
  return message;
};

export const run: RawCommandDef = {
  path: ['container', 'run'],
  aliases: [['run']],
  summary: RUN_SUMMARY,
  usage: RUN_USAGE,
  flags: runFlags(processEnv()),
  async run() {
    return 0;
  },
  async runRaw(ctx: CommandContext, words: string[]) {
    const prepared = prepareContainer('run', words, processEnv());
    if (!prepared.ok) {
      if (prepared.stdout) ctx.out.write(prepared.stdout);
      if (prepared.stderr) ctx.err.write(prepared.stderr);
      return prepared.status;
    }
    const { request, parsed } = prepared;
    const o = parsed.opts;
    const body = request.body;
    const detach = o.detach === true;
    const tty = body.Tty === true;
    const attachStdin = body.AttachStdin === true;
    const attachOutput = body.AttachStdout === true || body.AttachStderr === true;
    if (!detach && tty && attachStdin && !process.stdin.isTTY) {
      ctx.err.write('the input device is not a TTY\n');
      return 1;
    }
    const client = await ctx.client();
    let id: string;
    try {
      id = await createContainer(ctx, client, request, {
        cidfile: String(o.cidfile ?? ''),
        quiet: o.quiet === true,
        pull: String(o.pull ?? 'missing'),
      });
    } catch (err) {
      return startErrorStatus(report(ctx, err));
    }
    const stopSignals = o['sig-proxy'] === true ? forwardSignals(client, id) : () => {};
    let cancelWait = () => {};
    try {
      if (!attachOutput) ctx.out.write(`${id}\n`);
      const attach = attachStdin || attachOutput;
      let streamed: Promise<StreamEnd> | undefined;
      let cancelStream = () => {};
      // The attach and the wait go out together, as the docker CLI sends them; unlike it, the start
      // waits for both answers (the 101, the wait's headers), so no exit can come before the wait.
      const attaching = attach
        ? client.hijack('POST', cpath(id, '/attach'), {
            query: {
              stream: 1,
              stdin: attachStdin ? 1 : undefined,
              stdout: body.AttachStdout ? 1 : undefined,
              stderr: body.AttachStderr ? 1 : undefined,
              detachKeys: (o['detach-keys'] as string) || undefined,
            },
          })
        : undefined;
      const waiting = waitExitOrRemoved(ctx, client, id, body.HostConfig.AutoRemove === true);
      const [attached, waited] = await Promise.allSettled([attaching, waiting]);
      if (waited.status === 'fulfilled') cancelWait = waited.value.cancel;
      else if (attached.status === 'fulfilled') attached.value?.socket.destroy();
      if (attached.status === 'rejected') throw attached.reason;
      if (waited.status === 'rejected') throw waited.reason;
      const wait = waited.value;
      const conn = attached.value;
      if (conn) {
        cancelStream = () => conn.socket.destroy();
        streamed = streamHijacked({
          conn,
          tty,
          stdin: attachStdin ? process.stdin : undefined,
          stdout: body.AttachStdout ? process.stdout : null,
          stderr: body.AttachStderr ? (tty ? process.stdout : process.stderr) : null,
          detachKeys: (o['detach-keys'] as string) || undefined,
          warn: (m) => ctx.err.write(`WARNING: ${m}\n`),
        });
        streamed.catch(() => {});
      }
      try {
        await client.request('POST', cpath(id, '/start'));
      } catch (err) {
        cancelStream();
        await streamed?.catch(() => {});
        const status = startErrorStatus(report(ctx, err));
        if (body.HostConfig.AutoRemove) await wait.status;
        return status;
      }
      let stopResize = () => {};
      if (attach && tty && process.stdout.isTTY) {
        stopResize = monitorTtySize(client, cpath(id), process.stdout, (m) => ctx.err.write(`${m}\n`));
      }
      try {
        if (streamed && (await streamed) === 'detached') return 0;
      } finally {
        stopResize();
      }
      if (!attachOutput) return 0;
      return await wait.status;
    } finally {
      cancelWait();
      stopSignals();
      if (attachStdin) process.stdin.destroy();
    }
  },
};
