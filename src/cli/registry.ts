// Every berth command, and lookup by path or alias (longest match first).

import type { CommandDef } from './command.ts';
import { df } from './commands/system/df.ts';
import { events } from './commands/system/events.ts';
import { info } from './commands/system/info.ts';
import { version } from './commands/system/version.ts';

export const COMMANDS: CommandDef[] = [version, info, events, df];

/** The command named by the first words of argv, and how many words it took. */
export function findCommand(words: readonly string[]): { command: CommandDef; used: number } | undefined {
  let best: { command: CommandDef; used: number } | undefined;
  for (const command of COMMANDS) {
    for (const path of [command.path, ...(command.aliases ?? [])]) {
      if (
        path.length <= words.length &&
        path.every((w, i) => words[i] === w) &&
        (!best || path.length > best.used)
      ) {
        best = { command, used: path.length };
      }
    }
  }
  return best;
}

/** Top-level words that are command groups (`berth system`), for help and errors. */
export function groups(): string[] {
  return [...new Set(COMMANDS.filter((c) => c.path.length > 1).map((c) => c.path[0]))];
}
