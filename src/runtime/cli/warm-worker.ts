// The warm CLI worker (native/berth-warm/WARM.md): a Node process started ahead of time by the
// berth-warm supervisor, with the listening socket on fd 3 and the supervisor's channel on fd 4.
// It loads what every command needs, takes ONE request, checks that the client could have run
// the command itself with the same result (same user, files, Node options, capabilities,
// namespaces, cgroups, limits), puts the client's stdio on 0, 1 and 2 before anything has
// touched process.stdout/stdin, takes its environment, cwd, umask and argv, and runs the bundle
// exactly as build/code-cache.cjs would. It never reads the environment, cwd or terminal for
// the command before the request: everything the command sees is read at command time.
// `node build/warm-worker.cjs IDENTITY CACHE MAIN SOCKET`.

import {
  closeSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { isatty } from 'node:tty';
import { statFields } from '../proc.ts';
import { type Compiled, commandWord, compileBundle, runBundle } from './run-bundle.ts';
import { builtins, warmUp } from './warm-up.ts';

/** The nice value's index in statFields() (field 19 of /proc/PID/stat). */
const NICE = 16;
const LISTENER = 3;
const CHANNEL = 4;

type Request = [number, number, number, number, Buffer, number, number, number];
interface WarmOps {
  /** null when no client came within idleMs (fsops warm.c) */
  warmAccept(listenFd: number, channelFd: number, idleMs: number, ioMs: number): Request | null;
  /** 1 when a client waits in the listener's backlog */
  warmPending(listenFd: number): number;
  warmHandOff(channelFd: number, conn: number): void;
  warmStdio(fd0: number, fd1: number, fd2: number): void;
}

const [identity, , main, socket] = process.argv.slice(2);
/** The command word the previous worker ran: compiled ahead with its code cache. */
const LAST = `${socket}.last`;
const startEnv = { ...process.env };
const ops = require(join(import.meta.dirname, '..', 'native', 'build', 'fsops.node')) as WarmOps;
/** Exits 0 at once: what the warm-up spawns. */
const NOOP = join(import.meta.dirname, '..', 'native', 'build', 'berth-warm');

/** Environment that Node reads once, at its own start: a request must bring the same. */
const NODE_START_ENV = /^(NODE_|UV_|OPENSSL_|SSL_CERT_|LANG$|LANGUAGE$|LC_|TZ$)/;
/**
 * Built-ins that load without side effects (no warnings, no reads of the environment). Not
 * https: only a TLS host uses it, and with tls and its crypto it cost a worker 10-20 ms of its
 * load, which a command run right after the previous one waits for.
 */
const PRELOAD = [
  'fs',
  'fs/promises',
  'path',
  'os',
  'net',
  'http',
  'child_process',
  'crypto',
  'stream',
  'stream/promises',
  'events',
  'util',
  'url',
  'zlib',
  'tty',
  'dns',
  'readline',
  'string_decoder',
  'buffer',
  'timers',
  'timers/promises',
  'assert',
  'vm',
  'querystring',
  'dgram',
];

// Warm: the built-ins the bundle asks for, and the bundle compiled for the command word the
// previous worker ran (another command compiles again at its start, as a cold one would). A
// client already waiting (commands run back to back) stops this: the command loads what it
// needs itself, as a cold start does, rather than waiting for the rest.
const source = readFileSync(main, 'utf8');
const used = builtins(source);
for (const m of PRELOAD) {
  if (ops.warmPending(LISTENER)) break;
  if (used.has(m)) require(`node:${m}`);
}
let compiled: Compiled | undefined;
try {
  if (!ops.warmPending(LISTENER)) compiled = compileBundle(main, readFileSync(LAST, 'utf8').trim(), source);
} catch {
  // no previous command: compiled at the request
}
// the checks a request goes through, once on this process itself (it reads only /proc/self and
// changes nothing: the cwd it goes to is its own), so that a client's checks run compiled code
// (~1 ms the first time). Only a warm-up: a cwd removed since (this worker's is that of the
// command that started its supervisors' chain) makes process.cwd() throw, and must not end it.
if (!ops.warmPending(LISTENER)) {
  try {
    const env = Object.entries(startEnv).map(([k, v]) => `${k}=${v}`);
    const [uid, gid] = [process.getuid?.() ?? -1, process.getgid?.() ?? -1];
    refusal({ peer: process.pid, uid, gid, reqIdentity: identity, env, cwd: process.cwd() });
  } catch {
    // the request's checks compile at the request instead
  }
}

// then the built-ins' code the commands run first (warm-up.ts); the request is taken from a
// macrotask, as the main script's top level would run it
warmUp(used, require, NOOP, () => ops.warmPending(LISTENER) === 1).then(() => setImmediate(serve));

/** Takes one request and runs it, or exits. */
function serve(): void {
  const idle = Number(process.env.BERTH_CLI_WARM_IDLE ?? 600) * 1000;
  const got = ops.warmAccept(LISTENER, CHANNEL, idle > 0 ? idle : 600_000, 3000);
  if (!got) process.exit(0);
  const [conn, peer, uid, gid, body, fd0, fd1, fd2] = got;
  restorePriority();
  const fields = body.toString('utf8').split('\0');
  const [reqIdentity, cwd, umask, argc] = fields;
  const args = fields.slice(4, 4 + Number(argc));
  const env = fields.slice(4 + Number(argc), -1);

  const refused = refusal({ peer, uid, gid, reqIdentity, env, cwd });
  if (refused) {
    if (process.env.BERTH_CLI_WARM_DEBUG) console.error(`berth-warm: refused: ${refused}`);
    writeSync(conn, message('N', 0));
    process.exit(0);
  }
  ops.warmHandOff(CHANNEL, conn);
  writeSync(conn, message('R', process.pid));
  const go = Buffer.alloc(5);
  let read = 0;
  try {
    while (read < 5) {
      const n = readSync(conn, go, read, 5 - read, null);
      if (n === 0) break;
      read += n;
    }
  } catch {
    // the client gave up (its timeout): it runs the command cold
  }
  if (read !== 5 || go[0] !== 'G'.charCodeAt(0)) process.exit(0);
  closeSync(conn);
  ops.warmStdio(fd0, fd1, fd2);
  for (const key of Object.keys(process.env)) delete process.env[key];
  for (const kv of env) {
    const eq = kv.indexOf('=');
    if (eq > 0) process.env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  process.umask(Number.parseInt(umask, 8));
  reportExitEarly();
  const word = commandWord(args);
  // compiled ahead is the command word LAST names: only another word is written
  if (compiled?.command !== word) {
    try {
      writeFileSync(LAST, word, { mode: 0o600 });
    } catch {
      // only a guess for the next worker
    }
  }
  runBundle(main, args, compiled?.command === word ? compiled : compileBundle(main, word, source));
}

/**
 * Once every 'exit' listener has run, the exit code is final (Node reads process.exitCode
 * again after them): tell the supervisor now, so the client exits while Node tears down
 * (~5 ms). A death by signal, or an exception in a listener, skips this; the supervisor then
 * reports the wait status. Before that, the caller's pipes, sockets and files on 0, 1 and 2 are
 * let go (what was written is in the kernel by now: Node writes them synchronously), so that a
 * reader (`$(berth …)`, a test's pipe) sees their end when the client exits, not once Node has
 * torn down; a terminal stays, for Node's own reset of its mode at exit.
 */
function reportExitEarly(): void {
  const emit = process.emit;
  process.emit = function (this: NodeJS.Process, event: string | symbol, ...rest: unknown[]) {
    const result = (emit as (e: string | symbol, ...a: unknown[]) => boolean).call(this, event, ...rest);
    if (event === 'exit') {
      try {
        releaseStdio();
      } catch {
        // they go with the process
      }
      try {
        writeSync(CHANNEL, message('X', Number(process.exitCode ?? 0) & 0xff));
      } catch {
        // the supervisor reports the wait status instead
      }
    }
    return result;
  } as typeof process.emit;
}

/**
 * A worker started beside a running command loads at nice 19 (its supervisor lowered it, where
 * this is allowed back: berth-warm/nice.c): every thread gets the supervisor's priority back
 * before the command runs. Where that fails, the priority check in refusal() sends the client
 * cold. Its autogroup (its supervisor's session), lowered too where that can be given back at
 * once, gets the nice value 0 of a new one back.
 */
function restorePriority(): void {
  try {
    if (!/ nice 0\s*$/.test(readFileSync('/proc/self/autogroup', 'utf8')))
      writeFileSync('/proc/self/autogroup', '0');
  } catch {
    // no autogroups in this kernel, or not allowed: only scheduling weight
  }
  const nice = Number(statFields(process.ppid)[NICE]);
  for (const task of readdirSync('/proc/self/task')) {
    try {
      if (Number(statFields(`self/task/${task}`)[NICE]) !== nice) setPriority(Number(task), nice);
    } catch {
      // a thread that ended, or not allowed: refusal() compares
    }
  }
}

/** Puts /dev/null on each of fds 0, 1, 2 that is not a terminal. */
function releaseStdio(): void {
  const fds = [0, 1, 2].map((fd) => (isatty(fd) ? fd : openSync('/dev/null', fd === 0 ? 'r' : 'w')));
  ops.warmStdio(fds[0], fds[1], fds[2]);
}

/** Why this client must run the command cold, or undefined. */
function refusal(req: {
  peer: number;
  uid: number;
  gid: number;
  reqIdentity: string;
  env: string[];
  cwd: string;
}): string | undefined {
  const { peer, uid, gid, reqIdentity, env, cwd } = req;
  if (uid !== process.getuid?.() || gid !== process.getgid?.()) return `uid ${uid} gid ${gid}`;
  if (reqIdentity !== identity) return 'files changed';
  const startup = (entries: [string, string | undefined][]) =>
    entries
      .filter(([k]) => NODE_START_ENV.test(k))
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join('\n');
  const reqEnv = env.map((kv): [string, string] => [
    kv.slice(0, kv.indexOf('=')),
    kv.slice(kv.indexOf('=') + 1),
  ]);
  if (startup(reqEnv) !== startup(Object.entries(startEnv))) return 'Node start-up environment';
  // what the kernel says about the peer, not what it sent
  const status = (pid: number | string) =>
    readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .filter((l) => /^(Groups|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):/.test(l))
      .join('\n');
  const nice = (pid: number | string) => statFields(pid)[NICE];
  try {
    if (status(peer) !== status('self')) return 'credentials';
    for (const f of ['limits', 'cgroup'])
      if (readFileSync(`/proc/${peer}/${f}`, 'utf8') !== readFileSync(`/proc/self/${f}`, 'utf8')) return f;
    for (const ns of ['ns/mnt', 'ns/net', 'ns/pid', 'ns/ipc', 'ns/uts', 'ns/user', 'ns/cgroup', 'root'])
      if (readlinkSync(`/proc/${peer}/${ns}`) !== readlinkSync(`/proc/self/${ns}`)) return ns;
    if (nice(peer) !== nice('self')) return 'nice';
    process.chdir(cwd);
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

function message(type: string, value: number): Buffer {
  const b = Buffer.alloc(5);
  b.write(type, 0, 'latin1');
  b.writeInt32LE(value, 1);
  return b;
}
