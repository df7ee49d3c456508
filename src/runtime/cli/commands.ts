// The berth-runtime commands, runc's names and flags. Each parses, calls the runtime, prints.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { invalidArgument } from '../../common/errors.ts';
import { runtimeDefaultSpec } from '../../spec/runtime-default.ts';
import { execInContainer } from '../exec.ts';
import { signalNumber } from '../proc.ts';
import type { Runtime } from '../runtime.ts';
import type { FlagSpec, Parsed } from './args.ts';
import { features } from './features.ts';
import { printList, printPs } from './print.ts';

export interface Command {
  summary: string;
  flags: FlagSpec[];
  minArgs: number;
  /** positionals after which the rest is passed through (exec's command) */
  stopAfter?: number;
  run(runtime: Runtime, args: Parsed): Promise<number>;
}

const BUNDLE: FlagSpec = { name: 'bundle', short: 'b', type: 'string' };
const CREATE_FLAGS: FlagSpec[] = [
  BUNDLE,
  { name: 'console-socket', type: 'string' },
  { name: 'pid-file', type: 'string' },
  { name: 'no-pivot', type: 'bool' },
  { name: 'no-new-keyring', type: 'bool' },
  { name: 'preserve-fds', type: 'int' },
];

const str = (p: Parsed, name: string) => p.flags[name] as string | undefined;
const abs = (path: string | undefined) => (path === undefined ? undefined : resolve(path));

/** Preserved fds are 3 … 2+n here and in the container, as with runc. */
function preserved(p: Parsed): { preserveFds?: number; extraFds?: number[] } {
  const n = (p.flags['preserve-fds'] as number | undefined) ?? 0;
  if (n < 0) throw invalidArgument('--preserve-fds must not be negative');
  if (n === 0) return {};
  return { preserveFds: n, extraFds: Array.from({ length: n }, (_, i) => 3 + i) };
}

function createRequest(p: Parsed) {
  return {
    id: p.positionals[0],
    bundle: resolve(str(p, 'bundle') ?? '.'),
    consoleSocket: abs(str(p, 'console-socket')),
    pidFile: abs(str(p, 'pid-file')),
    noPivot: p.flags['no-pivot'] === true,
    ...preserved(p),
  };
}

function parseUser(value: string): { uid: number; gid: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(value);
  if (!m) throw invalidArgument(`invalid --user "${value}": want UID[:GID]`);
  return { uid: Number(m[1]), gid: Number(m[2] ?? 0) };
}

/** A command that takes one container id and does one thing to it. */
function onContainer(summary: string, op: (rt: Runtime, id: string) => Promise<void>): Command {
  return {
    summary,
    flags: [],
    minArgs: 1,
    async run(rt, p) {
      await op(rt, p.positionals[0]);
      return 0;
    },
  };
}

export const COMMANDS: Record<string, Command> = {
  spec: {
    summary: 'create a new specification file',
    flags: [BUNDLE, { name: 'rootless', type: 'bool' }],
    minArgs: 0,
    async run(_rt, p) {
      const rootless = p.flags.rootless ? { uid: process.getuid!(), gid: process.getgid!() } : undefined;
      const file = resolve(str(p, 'bundle') ?? '.', 'config.json');
      writeFileSync(file, `${JSON.stringify(runtimeDefaultSpec({ rootless }), null, '\t')}\n`, {
        flag: 'wx',
      });
      return 0;
    },
  },
  create: {
    summary: 'create a container',
    flags: CREATE_FLAGS,
    minArgs: 1,
    async run(rt, p) {
      await rt.create(createRequest(p), 'create');
      return 0;
    },
  },
  start: onContainer('executes the user defined process in a created container', (rt, id) => rt.start(id)),
  run: {
    summary: 'create and run a container',
    flags: [...CREATE_FLAGS, { name: 'detach', short: 'd', type: 'bool' }, { name: 'keep', type: 'bool' }],
    minArgs: 1,
    async run(rt, p) {
      const req = createRequest(p);
      if (p.flags.detach) {
        const { record } = await rt.create(req, 'run-detached');
        rt.poststart(record);
        return 0;
      }
      // The interpreter forwards signals to the container; keep this process alive meanwhile.
      const ignore = () => {};
      for (const sig of ['SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, ignore);
      const { record, exit } = await rt.create(req, 'run');
      rt.poststart(record);
      const status = await exit;
      if (!p.flags.keep) await rt.delete(req.id, true);
      return status;
    },
  },
  state: {
    summary: 'output the state of a container',
    flags: [],
    minArgs: 1,
    async run(rt, p) {
      process.stdout.write(`${JSON.stringify(rt.state(p.positionals[0]), null, 2)}\n`);
      return 0;
    },
  },
  kill: {
    summary: "kill sends the specified signal (default: SIGTERM) to the container's init process",
    flags: [{ name: 'all', short: 'a', type: 'bool' }],
    minArgs: 1,
    async run(rt, p) {
      await rt.kill(p.positionals[0], signalNumber(p.positionals[1] ?? 'SIGTERM'), p.flags.all === true);
      return 0;
    },
  },
  delete: {
    summary: 'delete any resources held by the container',
    flags: [{ name: 'force', short: 'f', type: 'bool' }],
    minArgs: 1,
    async run(rt, p) {
      for (const id of p.positionals) await rt.delete(id, p.flags.force === true);
      return 0;
    },
  },
  exec: {
    summary: 'execute new process inside the container',
    flags: [
      { name: 'console-socket', type: 'string' },
      { name: 'cwd', type: 'string' },
      { name: 'env', short: 'e', type: 'list' },
      { name: 'tty', short: 't', type: 'bool' },
      { name: 'user', short: 'u', type: 'string' },
      { name: 'additional-gids', short: 'g', type: 'list' },
      { name: 'process', short: 'p', type: 'string' },
      { name: 'detach', short: 'd', type: 'bool' },
      { name: 'pid-file', type: 'string' },
      { name: 'process-label', type: 'string' },
      { name: 'apparmor', type: 'string' },
      { name: 'no-new-privs', type: 'bool' },
      { name: 'cap', short: 'c', type: 'list' },
      { name: 'preserve-fds', type: 'int' },
      { name: 'ignore-paused', type: 'bool' },
    ],
    minArgs: 1,
    stopAfter: 1,
    async run(rt, p) {
      const [id, ...args] = p.positionals;
      const user = str(p, 'user');
      return execInContainer(rt, {
        id,
        args,
        processFile: abs(str(p, 'process')),
        env: p.flags.env as string[],
        cwd: str(p, 'cwd'),
        user: user ? parseUser(user) : undefined,
        additionalGids: (p.flags['additional-gids'] as string[]).map(Number),
        caps: p.flags.cap as string[],
        noNewPrivs: p.flags['no-new-privs'] === true,
        tty: p.flags.tty === true,
        detach: p.flags.detach === true,
        consoleSocket: abs(str(p, 'console-socket')),
        pidFile: abs(str(p, 'pid-file')),
        ...preserved(p),
      });
    },
  },
  list: {
    summary: 'lists containers started by berth-runtime with the given root',
    flags: [
      { name: 'format', short: 'f', type: 'string' },
      { name: 'quiet', short: 'q', type: 'bool' },
    ],
    minArgs: 0,
    async run(rt, p) {
      printList(rt.list(), str(p, 'format') ?? 'table', p.flags.quiet === true);
      return 0;
    },
  },
  pause: onContainer('pause suspends all processes inside the container', (rt, id) => rt.pause(id)),
  resume: onContainer('resumes all processes that have been previously paused', (rt, id) => rt.resume(id)),
  ps: {
    summary: 'ps displays the processes running inside a container',
    flags: [{ name: 'format', short: 'f', type: 'string' }],
    minArgs: 1,
    stopAfter: 1,
    async run(rt, p) {
      const [id, ...psArgs] = p.positionals;
      return printPs(rt.pids(id), str(p, 'format') ?? 'table', psArgs);
    },
  },
  events: {
    summary: 'display container events such as OOM notifications and cpu, memory, and IO usage statistics',
    flags: [
      { name: 'stats', type: 'bool' },
      { name: 'interval', type: 'string' },
    ],
    minArgs: 1,
    async run(rt, p) {
      const id = p.positionals[0];
      if (!p.flags.stats) throw invalidArgument('only `events --stats` is supported');
      const record = rt.store.load(id);
      const data = rt.cgroups.stats(record.cgroupsPath);
      process.stdout.write(`${JSON.stringify({ type: 'stats', id, data })}\n`);
      return 0;
    },
  },
  features: {
    summary: 'show the enabled features',
    flags: [],
    minArgs: 0,
    async run() {
      process.stdout.write(`${JSON.stringify(features(), null, '    ')}\n`);
      return 0;
    },
  },
};
