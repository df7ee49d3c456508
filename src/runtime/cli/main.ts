// bin/berth-runtime: an OCI runtime with runc's command line.

import { BerthError } from '../../common/errors.ts';
import { PlanFailure } from '../native.ts';
import { Runtime } from '../runtime.ts';
import { type FlagSpec, parseArgs } from './args.ts';
import { COMMANDS } from './commands.ts';

const GLOBAL: FlagSpec[] = [
  { name: 'root', type: 'string' },
  { name: 'log', type: 'string' },
  { name: 'log-format', type: 'string' },
  { name: 'debug', type: 'bool' },
  { name: 'systemd-cgroup', type: 'bool' },
  { name: 'criu', type: 'string' },
  { name: 'rootless', type: 'string' },
  { name: 'help', short: 'h', type: 'bool' },
  { name: 'version', short: 'v', type: 'bool' },
];

const VERSION = 'berth-runtime version 0.1.0\nspec: 1.2.0';

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `   ${name.padEnd(10)}${c.summary}`);
  return `usage: berth-runtime [global options] command [command options] [arguments...]\n\ncommands:\n${lines.join('\n')}\n`;
}

/** Index of the first argument that is not a global flag or a global flag's value. */
function findCommand(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-')) return i;
    const name = arg.replace(/^--?/, '');
    const flag = GLOBAL.find((g) => g.name === name || g.short === name);
    if (flag && flag.type !== 'bool') i++;
  }
  return -1;
}

async function main(argv: string[]): Promise<number> {
  const commandAt = findCommand(argv);
  const global = parseArgs(commandAt < 0 ? argv : argv.slice(0, commandAt), GLOBAL);
  if (global.flags.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (commandAt < 0 || global.flags.help) {
    process.stdout.write(usage());
    return commandAt < 0 && !global.flags.help ? 1 : 0;
  }
  if (global.flags['systemd-cgroup'])
    throw new BerthError('NotImplemented', '--systemd-cgroup is not supported');
  const name = argv[commandAt];
  const command = COMMANDS[name];
  if (!command) throw new BerthError('InvalidArgument', `unknown command "${name}"`);
  const parsed = parseArgs(argv.slice(commandAt + 1), command.flags, command.stopAfter);
  if (parsed.positionals.length < command.minArgs) {
    throw new BerthError('InvalidArgument', `"${name}" requires at least ${command.minArgs} argument(s)`);
  }
  const runtime = new Runtime((global.flags.root as string | undefined) ?? undefined);
  return command.run(runtime, parsed);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // The interpreter has already printed its own failure (step, operation, path, errno).
    if (!(err instanceof PlanFailure)) {
      process.stderr.write(`berth-runtime: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    if (!(err instanceof BerthError) && process.env.BERTH_DEBUG) console.error(err);
    process.exitCode = 1;
  },
);
