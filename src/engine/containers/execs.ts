// Exec instances: `POST /containers/{id}/exec` records one, `POST /exec/{id}/start` runs it
// through its own berth-shim (in the container's shim directory), `GET /exec/{id}/json`
// reports it. Execs live in memory, as in Docker.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { conflict, invalidArgument, notFound } from '../../common/errors.ts';
import { makeEvent } from '../../common/events.ts';
import { encodeFrame } from '../../common/frames.ts';
import { MAX_TIMER_MS } from '../../common/timers.ts';
import { encodePlan } from '../../plan/encode.ts';
import { compileExec } from '../../plan/exec.ts';
import { execProcess } from '../../runtime/exec.ts';
import { hostFacts } from '../../runtime/facts.ts';
import { goErrnoWords, PlanFailure } from '../../runtime/native.ts';
import { dockerEnv } from '../../spec/docker/defaults.ts';
import type { EventBus } from '../events.ts';
import { bridge, checkDetachKeys, parseDetachKeys } from './attach.ts';
import type { Containers } from './containers.ts';
import { captureProbeOutput, type ProbeResult } from './probe.ts';
import { type ContainerRecord, newId } from './record.ts';
import { abandonShim, FRAME, readExit, ShimConnection, spawnShim, startThroughShim } from './shim.ts';
import { heldCapabilities, resolveUserIn } from './spec.ts';

export interface ExecConfig {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Privileged?: boolean;
  ConsoleSize?: [number, number] | null;
}

interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  exitCode: number | null;
  pid: number;
  started: boolean;
  conn?: ShimConnection;
}

/**
 * The exec's user and environment as dockerd makes them: the exec's user (else the
 * container's), with its primary group and the container's --group-add among the supplementary
 * groups; the environment built afresh (PATH, HOSTNAME, TERM=xterm for a tty exec, the
 * container's Env, the exec's Env), HOME from the user's passwd entry when still unset.
 */
function execIdentity(rec: ContainerRecord, config: ExecConfig, rootfs: string) {
  const resolved = resolveUserIn(rootfs, config.User || rec.Config.User || '', rec.HostConfig.GroupAdd ?? []);
  const user = {
    uid: resolved.uid,
    gid: resolved.gid,
    additionalGids: [...new Set([resolved.gid, ...resolved.additionalGids])],
  };
  const env = dockerEnv([...(rec.Config.Env ?? []), ...(config.Env ?? [])], {
    hostname: rec.Config.Hostname,
    terminal: config.Tty === true,
  });
  if (!env.some((kv) => kv.split('=')[0] === 'HOME')) env.push(`HOME=${resolved.home || '/'}`);
  return { user, env };
}

/**
 * An exec's start failure as dockerd passes runc's on: `OCI runtime exec failed: exec failed:
 * unable to start container process: exec: "nosuch": executable file not found in $PATH:
 * unknown` (names in double quotes, errno words in lower case as Go spells them).
 */
export function runcExecError(message: string): string {
  const text = goErrnoWords(message)
    .replace(/`([^`]*)`/g, '"$1"')
    .replace(/^exec "/, 'exec: "')
    .replace(/^chdir ("[^"]*"): /, 'chdir to cwd ($1) set in config.json failed: ');
  return `OCI runtime exec failed: exec failed: unable to start container process: ${text}: unknown`;
}

export class Execs {
  readonly #containers: Containers;
  readonly #events: EventBus;
  readonly #execs = new Map<string, ExecRecord>();

  constructor(containers: Containers, events: EventBus) {
    this.#containers = containers;
    this.#events = events;
  }

  idsOf(containerRef: string): string[] {
    const rec = this.#containers.store.find(containerRef);
    if (!rec) return [];
    // as dockerd: an exec that has ended leaves the container's list (it can still be inspected)
    return [...this.#execs.values()]
      .filter((e) => e.containerId === rec.ID && e.exitCode === null)
      .map((e) => e.id);
  }

  /**
   * An exec event as dockerd sends it: the container's labels among the attributes; with the
   * command, `exec_create: ENTRYPOINT ARGS…` (a space after the entrypoint even without args).
   */
  #publish(rec: ContainerRecord, action: string, cmd: string[] | undefined, extra: Record<string, string>) {
    const [entrypoint = '', ...args] = cmd ?? [];
    this.#events.publish(
      makeEvent('container', cmd ? `${action}: ${entrypoint} ${args.join(' ')}` : action, rec.ID, {
        ...(rec.Config.Labels ?? {}),
        image: rec.Config.Image ?? '',
        name: rec.Name.slice(1),
        ...extra,
      }),
    );
  }

  #get(id: string): ExecRecord {
    const e = this.#execs.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  create(containerRef: string, config: ExecConfig): { Id: string } {
    const rec = this.#containers.store.get(containerRef);
    if (!rec.State.Running) throw conflict(`Container ${rec.ID} is not running`);
    // as dockerd: the paused error names the container as the client did
    if (rec.State.Paused)
      throw conflict(`Container ${containerRef} is paused, unpause the container before exec`);
    if (rec.State.Restarting)
      throw conflict(`Container ${rec.ID} is restarting, wait until the container is running`);
    if (!config.Cmd || config.Cmd.length === 0) throw invalidArgument('No exec command specified');
    if (config.DetachKeys)
      checkDetachKeys(config.DetachKeys, `Invalid escape keys (${config.DetachKeys}) provided`);
    const id = newId();
    this.#execs.set(id, {
      id,
      containerId: rec.ID,
      config,
      running: false,
      exitCode: null,
      pid: 0,
      started: false,
    });
    this.#publish(rec, 'exec_create', config.Cmd, { execID: id });
    return { Id: id };
  }

  /**
   * Runs the exec. With `stream` (attached) it resolves when the process has ended and the
   * stream is closed; detached, once the process runs.
   */
  async start(id: string, stream?: Duplex): Promise<void> {
    const e = this.#get(id);
    if (e.started) throw conflict(`Error: Exec command ${id} has already run`);
    const rec = this.#containers.store.get(e.containerId);
    if (!rec.State.Running) throw conflict(`Container ${rec.ID} is not running`);
    e.started = true;
    const tty = e.config.Tty === true;
    let identity: ReturnType<typeof execIdentity>;
    try {
      identity = execIdentity(rec, e.config, this.#containers.rootfs(rec.ID));
    } catch (err) {
      // as dockerd: the exec failed to start (126), the error goes out on the stream
      e.exitCode = 126;
      throw err;
    }
    const dir = this.#containers.execDir(id);
    const runtime = this.#containers.runtime;
    const state = runtime.store.load(rec.ID);
    const proc = execProcess(
      { ...state.spec.process!, env: [] },
      {
        id: rec.ID,
        args: e.config.Cmd,
        env: identity.env,
        cwd: e.config.WorkingDir || undefined,
        tty,
        user: { uid: identity.user.uid, gid: identity.user.gid },
        additionalGids: identity.user.additionalGids,
        caps: e.config.Privileged ? [...heldCapabilities()] : undefined,
      },
    );
    const plan = compileExec({
      spec: state.spec,
      process: proc,
      pid: state.pid,
      pidStart: state.pidStart || undefined,
      cgroupsPath: state.cgroupsPath,
      facts: hostFacts(state.cgroupsPath),
      detach: true,
      consoleSocket: tty ? join(dir, 'console.sock') : undefined,
      reportFd: 3,
      seccompCache: state.spec.linux?.seccomp ? runtime.seccompCache() : undefined,
    });
    const planFile = join(dir, 'plan');
    let spawned = false;
    let started = false;
    try {
      // the exec's directory, made where a failure removes it (below)
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(planFile, encodePlan(plan), { mode: 0o600 });
      await spawnShim(
        { dir, plan: planFile, tty, stdin: e.config.AttachStdin === true },
        this.#containers.launcher,
      );
      spawned = true;
      const conn = await ShimConnection.connect(dir);
      e.conn = conn;
      const b =
        stream &&
        bridge(stream, {
          tty,
          stdin: e.config.AttachStdin === true,
          stdout: e.config.AttachStdout !== false,
          stderr: e.config.AttachStderr !== false,
          detachKeys: parseDetachKeys(e.config.DetachKeys || 'ctrl-p,ctrl-q'),
          closeStdinOnEnd: true,
        });
      if (b) b.join(await ShimConnection.connect(dir));
      const ended = new Promise<void>((resolve) => {
        conn.onFrame((type) => {
          if (type !== FRAME.EXIT) return;
          const exit = conn.exit ?? readExit(dir);
          // a process that never started keeps the start failure's code
          if (e.pid === 0 && e.exitCode !== null) return resolve();
          e.exitCode = exit?.exitCode ?? 126;
          e.running = false;
          this.#publish(rec, 'exec_die', undefined, { execID: id, exitCode: String(e.exitCode) });
          resolve();
        });
        void conn.closed.then(() => {
          if (e.running) {
            e.running = false;
            e.exitCode ??= readExit(dir)?.exitCode ?? 126;
          }
          resolve();
          rmSync(dir, { recursive: true, force: true });
        });
      });
      if (e.config.ConsoleSize && tty)
        conn.send(FRAME.RESIZE, `${e.config.ConsoleSize[0]} ${e.config.ConsoleSize[1]}`);
      started = true;
      const run = startThroughShim(conn);
      e.running = true;
      this.#publish(rec, 'exec_start', e.config.Cmd, { execID: id });
      try {
        e.pid = await run.pid;
      } catch (err) {
        e.running = false;
        // as dockerd: 127 when the program is missing, else 126 (a cwd that is not there too)
        e.exitCode = err instanceof PlanFailure && err.exitStatus === 127 ? 127 : 126;
        if (b) {
          // docker prints the failure on the stream and exits with 126/127, in runc's words
          const msg = Buffer.from(`${runcExecError((err as Error).message)}\r\n`);
          stream!.write(tty ? msg : encodeFrame(FRAME.STDOUT, msg));
          b.finish();
          return;
        }
        throw err;
      }
      if (b) {
        await ended;
        await b.done;
      }
    } catch (err) {
      e.running = false;
      if (spawned && !started) abandonShim(dir);
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  resize(id: string, h: number, w: number): void {
    const e = this.#get(id);
    if (!e.running || !e.conn) throw conflict(`Exec ${id} is not running`);
    e.conn.send(FRAME.RESIZE, `${h} ${w}`);
  }

  inspect(id: string) {
    const e = this.#get(id);
    const [entrypoint, ...args] = e.config.Cmd ?? [];
    return {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: {
        tty: e.config.Tty === true,
        entrypoint,
        arguments: args,
        privileged: e.config.Privileged === true,
        // dockerd leaves an empty user out
        ...(e.config.User ? { user: e.config.User } : {}),
      },
      OpenStdin: e.config.AttachStdin === true,
      OpenStderr: e.config.AttachStderr === true,
      OpenStdout: e.config.AttachStdout === true,
      CanRemove: false,
      ContainerID: e.containerId,
      // dockerd's is the parsed key sequence: bytes, base64 in JSON
      DetachKeys: e.config.DetachKeys
        ? Buffer.from(parseDetachKeys(e.config.DetachKeys)).toString('base64')
        : '',
      Pid: e.pid,
    };
  }

  /**
   * Runs a healthcheck probe as Docker does: an exec (with its events) of `cmd` as the
   * container's user in its working directory, without a tty; its output captured (4096 bytes
   * at most). After `timeoutMs` it is killed (exit code -1, `timedOut`). The exec is forgotten
   * once it has ended.
   */
  async runProbe(containerId: string, cmd: string[], timeoutMs: number): Promise<ProbeResult> {
    const rec = this.#containers.store.get(containerId);
    const { Id } = this.create(rec.ID, {
      Cmd: cmd,
      AttachStdout: true,
      AttachStderr: true,
      User: rec.Config.User || undefined,
      WorkingDir: rec.Config.WorkingDir || undefined,
    });
    const capture = captureProbeOutput();
    let timedOut = false;
    const kill = () => {
      const pid = this.#execs.get(Id)?.pid;
      if (!pid) return false;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      return true;
    };
    let retry: NodeJS.Timeout | undefined;
    const timer = setTimeout(
      () => {
        timedOut = true;
        // not started yet: kill it as soon as it has a pid
        if (!kill()) retry = setInterval(() => kill() && clearInterval(retry), 50);
      },
      Math.min(timeoutMs, MAX_TIMER_MS),
    );
    try {
      await this.start(Id, capture.stream);
      const exitCode = timedOut ? -1 : (this.#execs.get(Id)?.exitCode ?? -1);
      return { exitCode, output: capture.output(), timedOut };
    } catch (err) {
      return { exitCode: -1, output: (err as Error).message, timedOut };
    } finally {
      clearTimeout(timer);
      clearInterval(retry);
      this.#execs.delete(Id);
    }
  }

  /** Drops the records of a removed container's execs. */
  forget(containerId: string): void {
    for (const [id, e] of this.#execs) if (e.containerId === containerId) this.#execs.delete(id);
  }
}
