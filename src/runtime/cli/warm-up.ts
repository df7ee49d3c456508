// What a pending warm worker (warm-worker.ts, native/berth-warm/WARM.md) runs once before it
// takes a request, so that the command finds Node's own code for it compiled and its inline
// caches primed: the first HTTP request of a process costs ~10 ms more than the next one, the
// first child_process.spawn ~6 ms more. Only Node's built-ins run here, never berth's modules,
// and nothing here reads what a command must read at its own start (environment, cwd, terminal):
// - HTTP: the requests the CLI makes (GET /_ping, a JSON POST, an upgrade to a raw stream) to a
//   server in this process on an abstract unix socket (no file, no network, unreachable to
//   other users' requests once closed), through an agent of its own, then closed;
// - a spawn with the stdio layout runPlan uses (0-2 inherited, two pipes) of `berth-warm
//   --noop`, which exits 0 at once.
// Each step ends with every handle it opened closed (libuv keeps one fd of its own on /dev/null,
// close-on-exec, once a server has listened: its reserve for accept's EMFILE), process.stdin,
// stdout and stderr are not created, and a step is skipped once `stop()` says a client waits.

import type { ChildProcess } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import type { Server, Socket } from 'node:net';

type Require = (id: string) => unknown;

/** Canned answers: what berthd sends for a ping, a JSON call and an attach. */
function answer(head: string): string {
  if (/^GET \/_ping /.test(head))
    return 'HTTP/1.1 200 OK\r\nApi-Version: 1.45\r\nContent-Length: 2\r\n\r\nOK';
  if (/\r\nupgrade: tcp\r\n/i.test(head))
    return 'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n';
  const body = '{"Id":"0123456789abcdef","Warnings":[]}\n';
  return `HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
}

/**
 * One HTTP exchange of each kind the CLI makes, to a server in this process; the next one is
 * skipped once `stop()` (the first costs most: a client waiting meanwhile waits for it alone).
 */
export async function warmHttp(req: Require, stop: () => boolean = () => false): Promise<void> {
  const net = req('node:net') as typeof import('node:net');
  const http = req('node:http') as typeof import('node:http');
  const path = `\0berth-warm-up-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const conns = new Set<Socket>();
  const server: Server = net.createServer((s) => {
    conns.add(s);
    let head = '';
    s.on('data', (d) => {
      head += d.toString('latin1');
      for (let end = head.indexOf('\r\n\r\n'); end >= 0; end = head.indexOf('\r\n\r\n')) {
        const one = head.slice(0, end + 4);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(one)?.[1] ?? 0);
        if (head.length < end + 4 + length) return;
        head = head.slice(end + 4 + length);
        s.write(answer(one));
      }
    });
    s.on('error', () => {});
    s.on('close', () => conns.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  const agent = new http.Agent({ keepAlive: true });
  const base = { socketPath: path, servername: '', agent, headers: { 'User-Agent': 'berth-cli/0.1.0' } };
  const exchange = (method: string, url: string, body?: string) =>
    new Promise<string>((resolve, reject) => {
      const headers: Record<string, string> = { ...base.headers };
      if (body) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = String(Buffer.byteLength(body));
      }
      const r = http.request({ ...base, method, path: url, headers }, (res: IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve(text));
        res.on('error', reject);
      });
      r.on('error', reject);
      r.end(body === undefined ? undefined : Buffer.from(body));
    });
  try {
    await exchange('GET', '/_ping');
    if (stop()) return;
    JSON.parse(
      await exchange('POST', '/v1.45/containers/create', JSON.stringify({ Image: 'x', Cmd: ['true'] })),
    );
    if (stop()) return;
    await new Promise<void>((resolve, reject) => {
      const r = http.request({
        ...base,
        agent: false,
        method: 'POST',
        path: '/v1.45/containers/x/attach?stream=1&stdout=1&stderr=1',
        headers: { ...base.headers, Connection: 'Upgrade', Upgrade: 'tcp' },
      });
      r.on('upgrade', (_res: IncomingMessage, socket: Socket) => {
        socket.setNoDelay?.(true);
        socket.destroy();
        resolve();
      });
      r.on('response', () => reject(new Error('no upgrade')));
      r.on('error', reject);
      r.end();
    });
  } finally {
    agent.destroy();
    for (const s of conns) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** A spawn with runPlan's stdio layout: 0-2 inherited, a pipe written and one read. */
export async function warmSpawn(req: Require, noop: string): Promise<void> {
  const { spawn } = req('node:child_process') as typeof import('node:child_process');
  const child: ChildProcess = spawn(noop, ['--noop'], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve) => {
    const plan = child.stdio[3] as NodeJS.WritableStream & { on(e: 'error', f: () => void): void };
    plan.on('error', () => {});
    plan.end('warm-up\n');
    const report = child.stdio[4] as NodeJS.ReadableStream;
    report.setEncoding('utf8');
    report.on('data', () => {});
    child.on('error', () => resolve());
    child.on('close', () => resolve());
  });
}

/**
 * The built-ins a bundle's source loads, without `node:`: each `require("node:m")`,
 * `require("m")` and `process.getBuiltinModule("node:m")` (the API client loads node:http that
 * way), found in one pass over the source.
 */
export function builtins(source: string): Set<string> {
  const found = new Set<string>();
  for (const m of source.matchAll(
    /(?:(?<![\w$.])require|\bprocess\.getBuiltinModule)\((["'])(?:node:)?([a-z_][a-z_/]*)\1\)/g,
  ))
    found.add(m[2]);
  return found;
}

/**
 * Runs the warm-ups for the built-ins a bundle uses (`builtins()`: node:http, node:child_process),
 * each unless `stop()`; a warm-up that fails only costs its time.
 */
export async function warmUp(
  used: ReadonlySet<string>,
  req: Require,
  noop: string,
  stop: () => boolean,
): Promise<void> {
  const steps: (() => Promise<void>)[] = [];
  if (used.has('http')) steps.push(() => warmHttp(req, stop));
  if (used.has('child_process')) steps.push(() => warmSpawn(req, noop));
  const before = process.getActiveResourcesInfo().length;
  const restore = stdioUntouched();
  try {
    for (const step of steps) {
      if (stop()) break;
      try {
        await step();
      } catch {
        // only a warm-up
      }
    }
    // handles closed by a step have their close callbacks run in a later turn of the loop
    for (let turn = 0; turn < 50 && process.getActiveResourcesInfo().length > before; turn++)
      await new Promise((resolve) => setImmediate(resolve));
  } finally {
    restore();
  }
  if (steps.length && !stop()) collect(req);
}

/**
 * Keeps Node from creating process.stdin, stdout and stderr meanwhile (net.Socket's destroy
 * compares itself with process.stderr, which creates it): they must be made by the command, on
 * the caller's fds, with the caller's kind of stream (a terminal, a pipe…). Until the returned
 * function runs, each is a stand-in that discards what is written.
 */
function stdioUntouched(): () => void {
  const names = ['stdin', 'stdout', 'stderr'] as const;
  const saved = names.map((name) => Object.getOwnPropertyDescriptor(process, name));
  for (const name of names) {
    Object.defineProperty(process, name, {
      configurable: true,
      enumerable: true,
      writable: true,
      value: { write: () => true, fd: -1 },
    });
  }
  return () =>
    names.forEach((name, i) => {
      const d = saved[i];
      if (d) Object.defineProperty(process, name, d);
      else delete (process as unknown as Record<string, unknown>)[name];
    });
}

/**
 * A young-generation collection, so that the command does not pay for the warm-up's garbage with
 * a scavenge of its own. Not a full one: it took 4-5 ms on a quiet machine and 12-19 ms beside a
 * running command (a scavenge 0.2 ms), a wait for a command run right after the previous one,
 * and the old generation it would clean does not fill up within one command. V8 offers it to
 * code only through --expose-gc, set here for one new context (where `gc` then is) and unset
 * again.
 */
function collect(req: Require): void {
  const v8 = req('node:v8') as typeof import('node:v8');
  const vm = req('node:vm') as typeof import('node:vm');
  v8.setFlagsFromString('--expose-gc');
  try {
    (vm.runInNewContext('gc') as (o: { type: 'minor' }) => void)({ type: 'minor' });
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}
