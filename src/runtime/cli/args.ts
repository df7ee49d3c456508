// A small flag parser with runc's (urfave/cli) conventions: `--flag value`, `--flag=value`,
// `-f value`, single-dash long names (`-bundle`), repeatable list flags, and a command whose
// trailing arguments are passed through untouched (`exec ID CMD ARGS…`).

import { invalidArgument } from '../../common/errors.ts';

export type FlagType = 'bool' | 'string' | 'int' | 'list';

export interface FlagSpec {
  name: string;
  short?: string;
  type: FlagType;
}

export type Parsed = {
  flags: Record<string, string | boolean | number | string[] | undefined>;
  positionals: string[];
};

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], stopAfter = Infinity): Parsed {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) {
    byName.set(s.name, s);
    if (s.short) byName.set(s.short, s);
  }
  const flags: Parsed['flags'] = {};
  for (const s of specs) if (s.type === 'list') flags[s.name] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (positionals.length >= stopAfter) {
      positionals.push(...argv.slice(i));
      break;
    }
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = byName.get(name);
    if (!spec)
      throw invalidArgument(
        `flag provided but not defined: ${arg.slice(0, arg.indexOf(name) + name.length)}`,
      );
    if (spec.type === 'bool') {
      flags[spec.name] = eq >= 0 ? body.slice(eq + 1) !== 'false' : true;
      continue;
    }
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw invalidArgument(`flag needs an argument: ${arg}`);
      value = argv[++i];
    }
    if (spec.type === 'int') {
      if (!/^-?\d+$/.test(value))
        throw invalidArgument(`invalid value "${value}" for flag ${arg}: not an integer`);
      flags[spec.name] = Number(value);
    } else if (spec.type === 'list') (flags[spec.name] as string[]).push(value);
    else flags[spec.name] = value;
  }
  return { flags, positionals };
}
