// berth exec / berth container exec: a process in a running container (docker's RunExec):
// inspect, exec create, exec start (hijacked; plain with -d), resize with a tty, then the exec's
// ExitCode from inspect is the command's status.

import { DaemonError } from '../../../api/client/client.ts';
import type { CommandContext } from '../../command.ts';
import {
  argCountText,
  FlagError,
  flagErrorText,
  helpText,
  type OptDef,
  parseArgv,
  type RawCommandDef,
} from '../../opts/flags.ts';
import { readEnv, validateEnv } from '../../opts/kvfile.ts';
import { cpath, inspectContainer } from './common.ts';
import { monitorTtySize, streamHijacked } from './streams.ts';

const USAGE = 'berth exec [OPTIONS] CONTAINER COMMAND [ARG...]';
const SUMMARY = 'Execute a command in a running container';

export const EXEC_FLAGS: OptDef[] = [
  { name: 'detach', short: 'd', type: 'bool', description: 'Detached mode: run command in the background' },
  {
    name: 'detach-keys',
    type: 'string',
    typeName: 'string',
    description: 'Override the key sequence for detaching a container',
  },
  {
    name: 'env',
    short: 'e',
    type: 'list',
    typeName: 'list',
    description: 'Set environment variables',
    parse: (v) => validateEnv(v, (n) => process.env[n]),
  },
  {
    name: 'env-file',
    type: 'list',
    typeName: 'list',
    description: 'Read in a file of environment variables',
  },
  { name: 'help', type: 'bool', description: 'Print usage', hidden: true },
  { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
  { name: 'privileged', type: 'bool', description: 'Give extended privileges to the command' },
  { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
  {
    name: 'user',
    short: 'u',
    type: 'string',
    typeName: 'string',
    description: 'Username or UID (format: "<name|uid>[:<group|gid>]")',
  },
  {
    name: 'workdir',
    short: 'w',
    type: 'string',
    typeName: 'string',
    description: 'Working directory inside the container',
  },
];

/** The body of POST /containers/{id}/exec for these flags (docker's parseExec). */
export function execConfig(
  opts: Record<string, unknown>,
  command: string[],
  cwd: string,
  consoleSize?: [number, number],
): Record<string, unknown> {
  const detach = opts.detach === true;
  const tty = opts.tty === true;
  const env = readEnv(opts['env-file'] as string[], opts.env as string[], cwd, (n) => process.env[n]);
  return {
    User: (opts.user as string) ?? '',
    Privileged: opts.privileged === true,
    Tty: tty,
    ...(tty && consoleSize ? { ConsoleSize: consoleSize } : {}),
    AttachStdin: !detach && opts.interactive === true,
    AttachStderr: !detach,
    AttachStdout: !detach,
    Detach: false,
    DetachKeys: (opts['detach-keys'] as string) ?? '',
    Env: env.length ? env : null,
    WorkingDir: (opts.workdir as string) ?? '',
    Cmd: command,
  };
}

export const exec: RawCommandDef = {
  path: ['container', 'exec'],
  aliases: [['exec']],
  summary: SUMMARY,
  usage: USAGE,
  flags: EXEC_FLAGS,
  async run() {
    return 0;
  },
  async runRaw(ctx: CommandContext, words: string[]) {
    let parsed: ReturnType<typeof parseArgv>;
    try {
      parsed = parseArgv(words, EXEC_FLAGS);
    } catch (err) {
      if (!(err instanceof FlagError)) throw err;
      ctx.err.write(flagErrorText(USAGE, err.message));
      return 125;
    }
    if (parsed.opts.help) {
      ctx.out.write(helpText({ usage: USAGE, summary: SUMMARY, flags: EXEC_FLAGS }));
      return 0;
    }
    if (parsed.args.length < 2) {
      ctx.err.write(argCountText(USAGE, 2));
      return 1;
    }
    const [name, ...command] = parsed.args;
    const o = parsed.opts;
    const client = await ctx.client();
    let config: Record<string, unknown>;
    try {
      config = execConfig(o, command, process.cwd(), undefined);
    } catch (err) {
      ctx.err.write(`${(err as Error).message}\n`);
      return 1;
    }
    await inspectContainer(client, name);
    const detach = o.detach === true;
    const tty = config.Tty === true;
    const attachStdin = config.AttachStdin === true;
    if (!detach && tty && attachStdin && !process.stdin.isTTY) {
      ctx.err.write('the input device is not a TTY\n');
      return 1;
    }
    const out = process.stdout;
    const consoleSize: [number, number] | undefined =
      tty && out.isTTY && out.rows ? [out.rows, out.columns] : undefined;
    if (consoleSize) config.ConsoleSize = consoleSize;
    const created = await client.json<{ Id: string }>('POST', cpath(name, '/exec'), { body: config });
    if (!created?.Id) {
      ctx.err.write('exec ID empty\n');
      return 1;
    }
    const path = `/exec/${encodeURIComponent(created.Id)}`;
    const startBody = { Detach: detach, Tty: tty, ...(consoleSize ? { ConsoleSize: consoleSize } : {}) };
    if (detach) {
      await client.request('POST', `${path}/start`, { body: startBody });
      return 0;
    }
    const conn = await client.hijack('POST', `${path}/start`, { body: startBody });
    const streamed = streamHijacked({
      conn,
      tty,
      stdin: attachStdin ? process.stdin : undefined,
      stdout: process.stdout,
      stderr: tty ? process.stdout : process.stderr,
      detachKeys: (o['detach-keys'] as string) || undefined,
      warn: (m) => ctx.err.write(`WARNING: ${m}\n`),
    });
    const stopResize = tty && process.stdin.isTTY ? monitorTtySize(client, path, process.stdout) : () => {};
    try {
      if ((await streamed) === 'detached') {
        ctx.err.write('read escape sequence\n');
        return 1;
      }
    } finally {
      stopResize();
      if (attachStdin) process.stdin.destroy();
    }
    try {
      const inspect = await client.json<{ ExitCode: number | null }>('GET', `${path}/json`);
      return inspect.ExitCode ?? 0;
    } catch (err) {
      if (err instanceof DaemonError) throw err;
      return -1;
    }
  },
};
