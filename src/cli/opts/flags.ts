// pflag-style parsing for commands whose flags end at the first argument (docker's run, create
// and exec call SetInterspersed(false): in `run busybox ls -l`, `-l` belongs to ls). Values are
// converted as they are read, so a bad value fails with pflag's text:
// `invalid argument "x" for "-m, --memory" flag: invalid size: 'x'`.

import { parseGoBool, parseGoInt } from '../../common/govalues.ts';
import { UsageError } from '../args.ts';
import type { CommandContext, CommandDef, FlagDef, Options } from '../command.ts';

export interface OptDef extends FlagDef {
  /** Converts one value as pflag's Value.Set does; throws an Error with docker's message. */
  parse?: (value: string) => unknown;
  /** The value's type in help (`bytes`, `duration`, `list`…); from `type` when omitted. */
  typeName?: string;
  /** Other long names (`--net` for `--network`), not shown in help. */
  aliases?: string[];
  hidden?: boolean;
}

export interface Parsed {
  opts: Record<string, unknown>;
  /** Flags given on the command line (pflag's Changed). */
  changed: Set<string>;
  args: string[];
}

/** A flag the command line got wrong: printed with the command's usage, exit status 125. */
export class FlagError extends UsageError {}

export function parseArgv(argv: readonly string[], defs: readonly OptDef[], interspersed = false): Parsed {
  const long = new Map<string, OptDef>();
  for (const d of defs) for (const n of [d.name, ...(d.aliases ?? [])]) long.set(n, d);
  const short = new Map(defs.filter((d) => d.short).map((d) => [d.short!, d]));
  const opts: Record<string, unknown> = {};
  for (const d of defs) {
    if (d.type === 'list') opts[d.name] = [];
    else if (d.default !== undefined) opts[d.name] = d.default;
    else if (d.type === 'bool') opts[d.name] = false;
  }
  const changed = new Set<string>();
  const args: string[] = [];
  const set = (def: OptDef, value: string) => {
    const shown = def.short ? `-${def.short}, --${def.name}` : `--${def.name}`;
    let v: unknown;
    try {
      if (def.parse) v = def.parse(value);
      else if (def.type === 'bool') v = parseGoBool(value);
      else if (def.type === 'int') v = parseGoInt(value);
      else v = value;
    } catch (err) {
      throw new FlagError(`invalid argument "${value}" for "${shown}" flag: ${(err as Error).message}`);
    }
    if (def.type === 'list') (opts[def.name] as unknown[]).push(v);
    else opts[def.name] = v;
    changed.add(def.name);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
      const def = long.get(name);
      if (!def) throw new FlagError(`unknown flag: --${name}`);
      if (eq > 0) set(def, arg.slice(eq + 1));
      else if (def.type === 'bool') set(def, 'true');
      else if (i + 1 < argv.length) set(def, argv[++i]);
      else throw new FlagError(`flag needs an argument: --${name}`);
    } else if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const c = arg[j];
        const def = short.get(c);
        if (!def) throw new FlagError(`unknown shorthand flag: '${c}' in -${arg.slice(j)}`);
        if (arg[j + 1] === '=') {
          set(def, arg.slice(j + 2));
          break;
        }
        if (def.type === 'bool') {
          set(def, 'true');
          continue;
        }
        if (j + 1 < arg.length) set(def, arg.slice(j + 1));
        else if (i + 1 < argv.length) set(def, argv[++i]);
        else throw new FlagError(`flag needs an argument: '${c}' in -${c}`);
        break;
      }
    } else if (interspersed) args.push(arg);
    else {
      args.push(...argv.slice(i));
      break;
    }
  }
  return { opts, changed, args };
}

/** Help in docker's layout: `  -m, --memory bytes   Memory limit`. */
export function helpText(command: { usage: string; summary: string; flags: readonly OptDef[] }): string {
  const rows = command.flags
    .filter((f) => !f.hidden)
    .map((f) => {
      const type = f.typeName ?? (f.type === 'bool' ? '' : f.type);
      const left = `  ${f.short ? `-${f.short}, ` : '    '}--${f.name}${type ? ` ${type}` : ''}`;
      const def =
        f.default !== undefined && f.default !== false && f.default !== ''
          ? ` (default ${typeof f.default === 'string' ? `"${f.default}"` : f.default})`
          : '';
      return [left, `${f.description}${def}`];
    });
  const width = Math.max(0, ...rows.map(([l]) => l.length)) + 3;
  const lines = rows.map(([l, r]) => `${l.padEnd(width)}${r}`);
  return `\nUsage:  ${command.usage}\n\n${command.summary}\n\nOptions:\n${lines.join('\n')}\n`;
}

/** A command that reads its own words (flags stop at the first argument). */
export interface RawCommandDef extends CommandDef {
  flags: OptDef[];
  runRaw(ctx: CommandContext, words: string[]): Promise<number | undefined>;
}

export function isRaw(command: CommandDef): command is RawCommandDef {
  return typeof (command as RawCommandDef).runRaw === 'function';
}

/** The command name in messages: `berth run` from `berth run [OPTIONS] IMAGE…`. */
export function commandName(usage: string): string {
  return usage
    .split(' [')[0]
    .split(' ')
    .slice(0, 3)
    .join(' ')
    .replace(/ [A-Z].*$/, '');
}

/** docker 28's report of a bad flag: the message, the usage line, a pointer to --help. */
export function flagErrorText(usage: string, message: string): string {
  return `${message}\n\nUsage:  ${usage}\n\nRun '${commandName(usage)} --help' for more information\n`;
}

/** docker 28's report of other run/create errors: `docker: <message>` and a pointer to --help. */
export function commandErrorText(usage: string, message: string): string {
  return `${commandName(usage).split(' ')[0]}: ${message}\n\nRun '${commandName(usage)} --help' for more information\n`;
}

/**
 * A wrong number of arguments as docker 28's cli/required.go words it (exit status 1):
 * `accepts no arguments`, `requires at least N`, `requires at most N`, `requires N`, `requires at
 * least N and at most M argument(s)`; undefined when `count` is within [min, max].
 */
export function argRangeText(usage: string, min: number, max: number, count: number): string | undefined {
  if (count >= min && count <= max) return undefined;
  const name = commandName(usage);
  const args = (n: number) => `${n} argument${n === 1 ? '' : 's'}`;
  if (max === Infinity) return argCountText(usage, min);
  const what =
    max === 0
      ? 'accepts no arguments'
      : min === max
        ? `requires ${args(min)}`
        : min === 0
          ? `requires at most ${args(max)}`
          : `requires at least ${min} and at most ${args(max)}`;
  return `${name.split(' ')[0]}: '${name}' ${what}\n\nUsage:  ${usage}\n\nRun '${name} --help' for more information\n`;
}

/** `"berth create" requires at least 1 argument`, as docker 28 prints it (exit status 1). */
export function argCountText(usage: string, min: number): string {
  const name = commandName(usage);
  return `${name.split(' ')[0]}: '${name}' requires at least ${min} argument${min === 1 ? '' : 's'}\n\nUsage:  ${usage}\n\nSee '${name} --help' for more information\n`;
}

/**
 * A command whose flags end at its first argument (docker's SetInterspersed(false): `top c -o
 * pid`), its options parsed with the shared definitions' types.
 */
export function nonInterspersed(command: CommandDef): RawCommandDef {
  const flags = command.flags as OptDef[];
  return {
    ...command,
    flags,
    async runRaw(ctx, words) {
      let parsed: Parsed;
      try {
        parsed = parseArgv(words, [
          ...flags,
          { name: 'help', type: 'bool', description: 'Print usage', hidden: true },
        ]);
      } catch (err) {
        if (!(err instanceof FlagError)) throw err;
        ctx.err.write(flagErrorText(command.usage, err.message));
        return 125;
      }
      if (parsed.opts.help) {
        ctx.out.write(helpText({ usage: command.usage, summary: command.summary, flags }));
        return 0;
      }
      const min = command.args?.min ?? 0;
      if (parsed.args.length < min) {
        ctx.err.write(argCountText(command.usage, min));
        return 1;
      }
      return command.run(ctx, parsed.opts as Options, parsed.args);
    },
  };
}
