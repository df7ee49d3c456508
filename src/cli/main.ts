// berth: the command-line client. Global flags, then a command from the registry; errors are
// printed the way the docker CLI prints them.

import { type ApiClient, DaemonError } from '../api/client/client.ts';
import { BerthError, errorKind } from '../common/errors.ts';
import { parseFlags, UsageError } from './args.ts';
import type { CommandDef, FlagDef } from './command.ts';
import { argRangeText, flagErrorText } from './opts/flags.ts';
import { allCommands, findCommand, groups } from './registry.ts';

const GLOBAL: FlagDef[] = [
  { name: 'host', short: 'H', type: 'string', description: 'Daemon socket to connect to' },
  { name: 'debug', short: 'D', type: 'bool', description: 'Enable debug mode' },
  { name: 'log-level', short: 'l', type: 'string', description: 'Set the logging level' },
  { name: 'tls', type: 'bool', description: 'Use TLS; implied by --tlsverify' },
  { name: 'tlsverify', type: 'bool', description: 'Use TLS and verify the remote' },
  { name: 'tlscacert', type: 'string', description: 'Trust certs signed only by this CA' },
  { name: 'tlscert', type: 'string', description: 'Path to TLS certificate file' },
  { name: 'tlskey', type: 'string', description: 'Path to TLS key file' },
  { name: 'config', type: 'string', description: 'Location of client config files' },
  { name: 'version', short: 'v', type: 'bool', description: 'Print version information and quit' },
  { name: 'help', type: 'bool', description: 'Print usage' },
];

async function help(command?: CommandDef): Promise<string> {
  if (command) {
    const flags = command.flags.map(
      (f) => `  ${f.short ? `-${f.short}, ` : '    '}--${f.name.padEnd(16)} ${f.description}`,
    );
    return `\nUsage:  ${command.usage}\n\n${command.summary}\n${flags.length ? `\nOptions:\n${flags.join('\n')}\n` : ''}`;
  }
  const top = (await allCommands()).filter(
    (c) => c.path.length === 1 || c.aliases?.some((a) => a.length === 1),
  );
  const lines = top.map(
    (c) => `  ${(c.aliases?.find((a) => a.length === 1)?.[0] ?? c.path[0]).padEnd(12)}${c.summary}`,
  );
  return `\nUsage:  berth [OPTIONS] COMMAND\n\nA Docker-compatible container engine\n\nCommands:\n${lines.join('\n')}\n\nManagement Commands:\n${groups()
    .map((g) => `  ${g}`)
    .join('\n')}\n`;
}

/** Splits global flags from the command words (global flags come first, as with docker). */
function splitGlobal(argv: readonly string[]): { global: string[]; rest: string[] } {
  let i = 0;
  while (i < argv.length && argv[i].startsWith('-')) {
    const name = argv[i].replace(/^--?/, '').split('=')[0];
    const def = GLOBAL.find((g) => g.name === name || g.short === name);
    i += def && def.type !== 'bool' && !argv[i].includes('=') ? 2 : 1;
  }
  return { global: argv.slice(0, i), rest: argv.slice(i) };
}

export async function main(argv: readonly string[]): Promise<number> {
  const { global, rest } = splitGlobal(argv);
  const { opts: g } = parseFlags(global, GLOBAL);
  if (g.version) return main(['version', '--format', 'berth version {{.Client.Version}}']);
  const found = await findCommand(rest);
  if (!found) {
    if (rest.length === 0 || g.help) {
      process.stdout.write(await help());
      return 0;
    }
    throw new UsageError(`'${rest[0]}' is not a berth command.`);
  }
  const { command, used } = found;
  const words = rest.slice(used);
  if (words.includes('--help')) {
    process.stdout.write(await help(command));
    return 0;
  }
  // a bad flag (125) or a wrong number of arguments (1), worded as docker 28 words them
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(words, command.flags);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(flagErrorText(command.usage, err.message));
    return 125;
  }
  const { min = 0, max = Infinity } = command.args ?? {};
  const wrongCount = argRangeText(command.usage, min, max, parsed.args.length);
  if (wrongCount) {
    process.stderr.write(wrongCount);
    return 1;
  }
  const tlsverify = g.tlsverify === true || process.env.DOCKER_TLS_VERIFY === '1';
  const tls =
    g.tls === true || tlsverify
      ? {
          ca: g.tlscacert as string | undefined,
          cert: g.tlscert as string | undefined,
          key: g.tlskey as string | undefined,
          verify: tlsverify,
        }
      : undefined;
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  let client: ApiClient | undefined;
  const code = await command.run(
    {
      // connect.ts (with the child_process module it starts berthd with) loads only when a
      // command asks for the daemon.
      client: async () => {
        const { chooseHost, connect } = await import('./connect.ts');
        client ??= await connect(chooseHost(g.host as string | undefined), tls);
        return client;
      },
      out: process.stdout,
      err: process.stderr,
      signal: controller.signal,
    },
    parsed.opts,
    parsed.args,
  );
  return code ?? 0;
}

// A reader that went away (`berth ps | head -1`) ends berth quietly, as SIGPIPE ends the docker
// CLI, not with an unhandled EPIPE and a stack trace; 141 is the status a shell shows for it.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(141);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof DaemonError) process.stderr.write(`Error response from daemon: ${err.message}\n`);
    else if (err instanceof UsageError) process.stderr.write(`${err.message}\n`);
    else if (err instanceof BerthError) process.stderr.write(`${err.message}\n`);
    else if ((err as Error).name === 'AbortError') {
      process.exitCode = 0;
      return;
    } else process.stderr.write(`berth: ${(err as Error).stack ?? err}\n`);
    process.exitCode = err instanceof UsageError || errorKind(err) === 'InvalidArgument' ? 125 : 1;
  },
);
