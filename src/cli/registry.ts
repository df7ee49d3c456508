// Every berth command, and lookup by path or alias (longest match first). A command's module is
// loaded only once it is chosen (the one-file bundle evaluates it then): `berth ps` does not set
// up run's flag table, the image and network commands, the archive code… The names here repeat
// the ones each CommandDef declares; registry.test.ts checks that they agree.

import { DaemonError } from '../api/client/client.ts';
import type { CommandContext, CommandDef } from './command.ts';
import { isRaw } from './opts/flags.ts';

interface Entry {
  path: string[];
  aliases?: string[][];
  load(): Promise<CommandDef>;
}

/**
 * Daemon errors end a container command with status 1, whatever their HTTP status (the shared
 * error handler gives 400s the 125 of usage errors, which docker keeps for run and create).
 */
export function daemonErrorsExitOne<T extends CommandDef>(command: T): T {
  const guard =
    <A extends unknown[]>(fn: (ctx: CommandContext, ...rest: A) => Promise<number | undefined>) =>
    async (ctx: CommandContext, ...rest: A): Promise<number | undefined> => {
      try {
        return await fn(ctx, ...rest);
      } catch (err) {
        if (!(err instanceof DaemonError)) throw err;
        ctx.err.write(`Error response from daemon: ${err.message}\n`);
        return 1;
      }
    };
  const wrapped = { ...command, run: guard(command.run) };
  const raw = (command as { runRaw?: (ctx: CommandContext, words: string[]) => Promise<number | undefined> })
    .runRaw;
  if (raw) Object.assign(wrapped, { runRaw: guard(raw) });
  return wrapped;
}

/** Commands whose daemon errors end with status 1 (container, network and registry commands). */
const exitOne = (load: () => Promise<CommandDef>) => async () => daemonErrorsExitOne(await load());

/* biome-ignore format: one command a line */
export const ENTRIES: Entry[] = [
  { path: ['version'], load: async () => (await import('./commands/system/version.ts')).version },
  { path: ['system', 'info'], aliases: [['info']], load: async () => (await import('./commands/system/info.ts')).info },
  { path: ['system', 'events'], aliases: [['events']], load: async () => (await import('./commands/system/events.ts')).events },
  { path: ['system', 'df'], load: async () => (await import('./commands/system/df.ts')).df },
  { path: ['image', 'ls'], aliases: [['images'], ['image', 'list']], load: async () => (await import('./commands/image/ls.ts')).ls },
  { path: ['image', 'inspect'], load: async () => (await import('./commands/image/inspect.ts')).inspect },
  { path: ['image', 'history'], aliases: [['history']], load: async () => (await import('./commands/image/history.ts')).history },
  { path: ['image', 'tag'], aliases: [['tag']], load: async () => (await import('./commands/image/tag.ts')).tag },
  { path: ['image', 'rm'], aliases: [['rmi'], ['image', 'remove']], load: async () => (await import('./commands/image/rm.ts')).rm },
  { path: ['image', 'prune'], load: async () => (await import('./commands/image/prune.ts')).prune },
  { path: ['image', 'load'], aliases: [['load']], load: async () => (await import('./commands/image/load.ts')).load },
  { path: ['image', 'save'], aliases: [['save']], load: async () => (await import('./commands/image/save.ts')).save },
  { path: ['image', 'import'], aliases: [['import']], load: async () => (await import('./commands/image/import.ts')).importCmd },
  { path: ['image', 'pull'], aliases: [['pull']], load: exitOne(async () => (await import('./commands/image/pull.ts')).pull) },
  { path: ['image', 'push'], aliases: [['push']], load: exitOne(async () => (await import('./commands/image/push.ts')).push) },
  { path: ['login'], load: exitOne(async () => (await import('./commands/registry/login.ts')).login) },
  { path: ['logout'], load: async () => (await import('./commands/registry/login.ts')).logout },
  { path: ['inspect'], load: async () => (await import('./commands/system/inspect.ts')).inspect },
  { path: ['system', 'prune'], load: async () => (await import('./commands/system/prune.ts')).prune },
  { path: ['container', 'create'], aliases: [['create']], load: exitOne(async () => (await import('./commands/container/create.ts')).create) },
  { path: ['container', 'run'], aliases: [['run']], load: exitOne(async () => (await import('./commands/container/run.ts')).run) },
  { path: ['container', 'attach'], aliases: [['attach']], load: exitOne(async () => (await import('./commands/container/attach.ts')).attach) },
  { path: ['container', 'commit'], aliases: [['commit']], load: exitOne(async () => (await import('./commands/container/commit.ts')).commit) },
  { path: ['container', 'cp'], aliases: [['cp']], load: exitOne(async () => (await import('./commands/container/cp.ts')).cp) },
  { path: ['container', 'diff'], aliases: [['diff']], load: exitOne(async () => (await import('./commands/container/diff.ts')).diff) },
  { path: ['container', 'exec'], aliases: [['exec']], load: exitOne(async () => (await import('./commands/container/exec.ts')).exec) },
  { path: ['container', 'export'], aliases: [['export']], load: exitOne(async () => (await import('./commands/container/export.ts')).exportCmd) },
  { path: ['container', 'inspect'], load: exitOne(async () => (await import('./commands/container/inspect.ts')).inspect) },
  { path: ['container', 'kill'], aliases: [['kill']], load: exitOne(async () => (await import('./commands/container/kill.ts')).kill) },
  { path: ['container', 'logs'], aliases: [['logs']], load: exitOne(async () => (await import('./commands/container/logs.ts')).logs) },
  { path: ['container', 'pause'], aliases: [['pause']], load: exitOne(async () => (await import('./commands/container/pause.ts')).pause) },
  { path: ['container', 'port'], aliases: [['port']], load: exitOne(async () => (await import('./commands/container/port.ts')).port) },
  { path: ['container', 'prune'], load: exitOne(async () => (await import('./commands/container/prune.ts')).prune) },
  { path: ['container', 'ls'], aliases: [['ps'], ['container', 'list'], ['container', 'ps']], load: exitOne(async () => (await import('./commands/container/ps.ts')).ps) },
  { path: ['container', 'rename'], aliases: [['rename']], load: exitOne(async () => (await import('./commands/container/rename.ts')).rename) },
  { path: ['container', 'restart'], aliases: [['restart']], load: exitOne(async () => (await import('./commands/container/stop.ts')).restart) },
  { path: ['container', 'rm'], aliases: [['rm'], ['container', 'remove']], load: exitOne(async () => (await import('./commands/container/rm.ts')).rm) },
  { path: ['container', 'start'], aliases: [['start']], load: exitOne(async () => (await import('./commands/container/start.ts')).start) },
  { path: ['container', 'stats'], aliases: [['stats']], load: exitOne(async () => (await import('./commands/container/stats.ts')).stats) },
  { path: ['container', 'stop'], aliases: [['stop']], load: exitOne(async () => (await import('./commands/container/stop.ts')).stop) },
  { path: ['container', 'top'], aliases: [['top']], load: exitOne(async () => (await import('./commands/container/top.ts')).top) },
  { path: ['container', 'unpause'], aliases: [['unpause']], load: exitOne(async () => (await import('./commands/container/unpause.ts')).unpause) },
  { path: ['container', 'update'], aliases: [['update']], load: exitOne(async () => (await import('./commands/container/update.ts')).update) },
  { path: ['container', 'wait'], aliases: [['wait']], load: exitOne(async () => (await import('./commands/container/wait.ts')).wait) },
  { path: ['network', 'create'], load: exitOne(async () => (await import('./commands/network/create.ts')).create) },
  { path: ['network', 'ls'], aliases: [['network', 'list']], load: exitOne(async () => (await import('./commands/network/ls.ts')).ls) },
  { path: ['network', 'inspect'], load: exitOne(async () => (await import('./commands/network/inspect.ts')).inspect) },
  { path: ['network', 'rm'], aliases: [['network', 'remove']], load: exitOne(async () => (await import('./commands/network/rm.ts')).rm) },
  { path: ['network', 'prune'], load: exitOne(async () => (await import('./commands/network/prune.ts')).prune) },
  { path: ['network', 'connect'], load: exitOne(async () => (await import('./commands/network/connect.ts')).connect) },
  { path: ['network', 'disconnect'], load: exitOne(async () => (await import('./commands/network/connect.ts')).disconnect) },
];

/** Every command, loaded (help lists them all). */
export function allCommands(): Promise<CommandDef[]> {
  return Promise.all(ENTRIES.map((e) => e.load()));
}

/** The command named by the first words of argv, and how many words it took. */
export async function findCommand(
  words: readonly string[],
): Promise<{ command: CommandDef; used: number } | undefined> {
  let best: { entry: Entry; used: number } | undefined;
  for (const entry of ENTRIES) {
    for (const path of [entry.path, ...(entry.aliases ?? [])]) {
      if (
        path.length <= words.length &&
        path.every((w, i) => words[i] === w) &&
        (!best || path.length > best.used)
      ) {
        best = { entry, used: path.length };
      }
    }
  }
  if (!best) return undefined;
  const command = await best.entry.load();
  if (isRaw(command)) {
    // run, create and exec read their own words: their flags end at the first argument
    // (`run busybox ls -l`), which the shared parser cannot do. Hand it every word.
    const raw = command;
    const rest = words.slice(best.used);
    return {
      command: { ...raw, flags: [], args: undefined, run: (ctx) => raw.runRaw(ctx, rest) },
      used: words.length,
    };
  }
  return { command, used: best.used };
}

/** Top-level words that are command groups (`berth system`), for help and errors. */
export function groups(): string[] {
  return [...new Set(ENTRIES.filter((c) => c.path.length > 1).map((c) => c.path[0]))];
}
