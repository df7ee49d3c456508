// Every berth command, and lookup by path or alias (longest match first).

import type { CommandDef } from './command.ts';
import { attach } from './commands/container/attach.ts';
import { commit } from './commands/container/commit.ts';
import { daemonErrorsExitOne } from './commands/container/common.ts';
import { cp } from './commands/container/cp.ts';
import { create } from './commands/container/create.ts';
import { diff } from './commands/container/diff.ts';
import { exec } from './commands/container/exec.ts';
import { exportCmd } from './commands/container/export.ts';
import { inspect as containerInspect } from './commands/container/inspect.ts';
import { kill } from './commands/container/kill.ts';
import { logs } from './commands/container/logs.ts';
import { pause } from './commands/container/pause.ts';
import { port } from './commands/container/port.ts';
import { prune as containerPrune } from './commands/container/prune.ts';
import { ps } from './commands/container/ps.ts';
import { rename } from './commands/container/rename.ts';
import { rm as containerRm } from './commands/container/rm.ts';
import { run } from './commands/container/run.ts';
import { start } from './commands/container/start.ts';
import { stats } from './commands/container/stats.ts';
import { restart, stop } from './commands/container/stop.ts';
import { top } from './commands/container/top.ts';
import { unpause } from './commands/container/unpause.ts';
import { update } from './commands/container/update.ts';
import { wait } from './commands/container/wait.ts';
import { history } from './commands/image/history.ts';
import { importCmd } from './commands/image/import.ts';
import { inspect as imageInspect } from './commands/image/inspect.ts';
import { load } from './commands/image/load.ts';
import { ls as imageLs } from './commands/image/ls.ts';
import { prune as imagePrune } from './commands/image/prune.ts';
import { pull } from './commands/image/pull.ts';
import { push } from './commands/image/push.ts';
import { rm as imageRm } from './commands/image/rm.ts';
import { save } from './commands/image/save.ts';
import { tag } from './commands/image/tag.ts';
import { connect as networkConnect, disconnect as networkDisconnect } from './commands/network/connect.ts';
import { create as networkCreate } from './commands/network/create.ts';
import { inspect as networkInspect } from './commands/network/inspect.ts';
import { ls as networkLs } from './commands/network/ls.ts';
import { prune as networkPrune } from './commands/network/prune.ts';
import { rm as networkRm } from './commands/network/rm.ts';
import { login, logout } from './commands/registry/login.ts';
import { df } from './commands/system/df.ts';
import { events } from './commands/system/events.ts';
import { info } from './commands/system/info.ts';
import { inspect } from './commands/system/inspect.ts';
import { prune as systemPrune } from './commands/system/prune.ts';
import { version } from './commands/system/version.ts';
import { isRaw } from './opts/flags.ts';

export const COMMANDS: CommandDef[] = [
  version,
  info,
  events,
  df,
  imageLs,
  imageInspect,
  history,
  tag,
  imageRm,
  imagePrune,
  load,
  save,
  importCmd,
  pull,
  push,
  login,
  logout,
  inspect,
  systemPrune,
  ...[
    create,
    run,
    attach,
    commit,
    cp,
    diff,
    exec,
    exportCmd,
    containerInspect,
    kill,
    logs,
    pause,
    port,
    containerPrune,
    ps,
    rename,
    restart,
    containerRm,
    start,
    stats,
    stop,
    top,
    unpause,
    update,
    wait,
  ].map(daemonErrorsExitOne),
  ...[
    networkCreate,
    networkLs,
    networkInspect,
    networkRm,
    networkPrune,
    networkConnect,
    networkDisconnect,
  ].map(daemonErrorsExitOne),
];

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
  if (best && isRaw(best.command)) {
    // run, create and exec read their own words: their flags end at the first argument
    // (`run busybox ls -l`), which the shared parser cannot do. Hand it every word.
    const raw = best.command;
    const rest = words.slice(best.used);
    return {
      command: { ...raw, flags: [], args: undefined, run: (ctx) => raw.runRaw(ctx, rest) },
      used: words.length,
    };
  }
  return best;
}

/** Top-level words that are command groups (`berth system`), for help and errors. */
export function groups(): string[] {
  return [...new Set(COMMANDS.filter((c) => c.path.length > 1).map((c) => c.path[0]))];
}
