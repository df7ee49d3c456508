// What the network commands share: docker 28's cobra handling (interspersed flags, its texts
// for a bad flag or a wrong number of arguments), flag value parsers, the /networks paths.

import type { CommandDef, Options } from '../../command.ts';
import { addFilterFlag } from '../../format/filters.ts';
import {
  argCountText,
  commandName,
  FlagError,
  flagErrorText,
  helpText,
  type OptDef,
  type Parsed,
  parseArgv,
  type RawCommandDef,
} from '../../opts/flags.ts';
import { splitCSV } from '../../opts/mounts.ts';

export const npath = (id: string, rest = '') => `/networks/${encodeURIComponent(id)}${rest}`;

/** cli.ExactArgs, cli.NoArgs, cli.RequiresMinArgs: docker 28's texts, exit status 1. */
export function argsError(
  usage: string,
  args: { min: number; max?: number },
  given: number,
): string | undefined {
  const { min, max } = args;
  if (given >= min && (max === undefined || given <= max)) return undefined;
  if (max === undefined) return argCountText(usage, min);
  const name = commandName(usage);
  const what = max === 0 ? 'accepts no arguments' : `requires ${min} argument${min === 1 ? '' : 's'}`;
  return `${name.split(' ')[0]}: '${name}' ${what}\n\nUsage:  ${usage}\n\nRun '${name} --help' for more information\n`;
}

/** A command whose flags may come anywhere among its arguments (cobra's default), as docker 28 reports errors. */
export function interspersed(
  command: Omit<CommandDef, 'run'> & {
    flags: OptDef[];
    args: { min: number; max?: number };
    run(ctx: Parameters<CommandDef['run']>[0], parsed: Parsed): Promise<number | undefined>;
  },
): RawCommandDef {
  const { flags } = command;
  return {
    ...command,
    run: (ctx, opts, args) => command.run(ctx, { opts, changed: new Set(Object.keys(opts)), args }),
    async runRaw(ctx, words) {
      let parsed: Parsed;
      try {
        parsed = parseArgv(
          words,
          [...flags, { name: 'help', type: 'bool', description: 'Print usage', hidden: true }],
          true,
        );
      } catch (err) {
        if (!(err instanceof FlagError)) throw err;
        ctx.err.write(flagErrorText(command.usage, err.message));
        return 125;
      }
      if (parsed.opts.help) {
        ctx.out.write(helpText({ usage: command.usage, summary: command.summary, flags }));
        return 0;
      }
      const wrong = argsError(command.usage, command.args, parsed.args.length);
      if (wrong) {
        ctx.err.write(wrong);
        return 1;
      }
      return command.run(ctx, parsed);
    },
  };
}

/** pflag's StringSlice: each value is a CSV line; '' adds nothing. */
export const csv = (v: string): string[] => (v === '' ? [] : splitCSV(v));

/** A StringSlice flag (`--subnet a,b --subnet c`). */
export const slice = (name: string, description: string): OptDef => ({
  name,
  type: 'list',
  typeName: 'strings',
  description,
  parse: csv,
});

/** opts.MapOpts without a validator: `k=v` (or `k`, an empty value); a later key wins. */
export const mapFlag = (name: string, description: string, short?: string): OptDef => ({
  name,
  short,
  type: 'list',
  typeName: 'map',
  description,
});

/** The --filter flag: `name=value`, checked as it is read. */
export const filterFlag = (description: string, short?: string): OptDef => ({
  name: 'filter',
  short,
  type: 'list',
  typeName: 'filter',
  description,
  parse: (v) => {
    addFilterFlag(new Map(), v);
    return v;
  },
});

/** The values of a list flag (StringSlice values flattened). */
export const values = (opts: Options | Record<string, unknown>, name: string): string[] =>
  ((opts[name] as (string | string[])[] | undefined) ?? []).flat();
