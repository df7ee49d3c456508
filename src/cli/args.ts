// Cobra-style flag parsing, as the docker CLI does it: `--flag value`, `--flag=value`, `-f
// value`, `-fvalue`, grouped short booleans (`-aq`), `--` ends flags; interspersed arguments.

import { BerthError } from '../common/errors.ts';
import type { FlagDef, Options } from './command.ts';

/** A usage error: printed with a "See 'berth … --help'." line, exit status 125. */
export class UsageError extends BerthError {
  constructor(message: string) {
    super('InvalidArgument', message);
  }
}

export function parseFlags(
  argv: readonly string[],
  defs: readonly FlagDef[],
): { opts: Options; args: string[] } {
  const long = new Map(defs.map((d) => [d.name, d]));
  const short = new Map(defs.filter((d) => d.short).map((d) => [d.short!, d]));
  const opts: Options = {};
  for (const d of defs) {
    if (d.type === 'list') opts[d.name] = [];
    else if (d.default !== undefined) opts[d.name] = d.default;
  }
  const args: string[] = [];
  const assign = (def: FlagDef, value: string, shown: string) => {
    if (def.type === 'int') {
      if (!/^-?\d+$/.test(value))
        throw new UsageError(
          `invalid argument "${value}" for "${shown}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`,
        );
      opts[def.name] = Number(value);
    } else if (def.type === 'list') (opts[def.name] as string[]).push(value);
    else if (def.type === 'bool') {
      if (value !== 'true' && value !== 'false')
        throw new UsageError(
          `invalid argument "${value}" for "${shown}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`,
        );
      opts[def.name] = value === 'true';
    } else opts[def.name] = value;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
      const def = long.get(name);
      if (!def) throw new UsageError(`unknown flag: --${name}`);
      if (eq > 0) assign(def, arg.slice(eq + 1), `--${name}`);
      else if (def.type === 'bool') opts[def.name] = true;
      else {
        if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: --${name}`);
        assign(def, argv[++i], `--${name}`);
      }
    } else if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const def = short.get(arg[j]);
        if (!def) throw new UsageError(`unknown shorthand flag: '${arg[j]}' in ${arg}`);
        if (def.type === 'bool') {
          opts[def.name] = true;
          continue;
        }
        const rest = arg.slice(j + 1).replace(/^=/, '');
        if (rest) assign(def, rest, `-${arg[j]}, --${def.name}`);
        else {
          if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: '${arg[j]}' in -${arg[j]}`);
          assign(def, argv[++i], `-${arg[j]}, --${def.name}`);
        }
        break;
      }
    } else args.push(arg);
  }
  return { opts, args };
}
