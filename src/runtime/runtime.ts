// The OCI runtime: create, start, state, kill, delete, run, pause, resume, ps over plans run
// by native/berth-exec, container state in a StateStore, cgroups through the cgroup driver.
// bin/berth-runtime is a command line over this class; berthd will drive it directly.

import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { conflict, errorKind, internal, invalidArgument } from '../common/errors.ts';
import { cgroupsPathOf, compileCreate } from '../plan/create.ts';
import type { Plan } from '../plan/types.ts';
import type { Spec, State } from '../spec/oci.ts';
import { fsops, LOCK_EX, LOCK_NB } from '../storage/native.ts';
import { bindSources, checkRootfs, readSpec } from './bundle.ts';
import { detectCgroupLayout } from './cgroups/detect.ts';
import { type CgroupDriver, cgroupDriver } from './cgroups/driver.ts';
import { hostFacts } from './facts.ts';
import { runHooks } from './hooks.ts';
import { Launcher, type LaunchStdio } from './launcher.ts';
import { interpreterFds, type PlanRun, type RunPlanOptions, runPlan } from './native.ts';
import { isAlive, procStat, sleepSync } from './proc.ts';
import { type ContainerRecord, DEFAULT_ROOT, StateStore } from './state.ts';

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface ContainerState extends State {
  status: Status & State['status'];
  rootfs: string;
  created: string;
  owner: string;
}

export interface CreateRequest {
  id: string;
  bundle: string;
  /**
   * The bundle's config.json as the caller wrote it (berthd builds and checks its specs), so it
   * is not read back and checked again; without it, config.json is read and validated.
   */
  spec?: Spec;
  consoleSocket?: string;
  pidFile?: string;
  noPivot?: boolean;
  preserveFds?: number;
  stdio?: RunPlanOptions['stdio'];
  extraFds?: number[];
  /**
   * Performs the plan instead of berth-exec run here: berthd hands it to a berth-shim, which runs
   * the interpreter with its report fd at `reportFd`.
   */
  perform?: (plan: Plan) => PlanRun;
  reportFd?: number;
}

export interface RuntimeOptions {
  /**
   * Run plans through one long-lived `berth-exec --serve` (launcher.ts) instead of spawning
   * berth-exec per container: for long-running processes (berthd), not the one-shot CLI.
   */
  launcher?: boolean;
}

export class Runtime {
  readonly store: StateStore;
  #cgroups: CgroupDriver | undefined;
  #launcher: Launcher | undefined;

  constructor(root = DEFAULT_ROOT, opts: RuntimeOptions = {}) {
    this.store = new StateStore(root);
    if (opts.launcher) this.#launcher = new Launcher();
  }

  /** Ends the launcher, if there is one (it exits once its interpreters have). */
  async close(): Promise<void> {
    await this.#launcher?.close();
  }

  get cgroups(): CgroupDriver {
    this.#cgroups ??= cgroupDriver(detectCgroupLayout());
    return this.#cgroups;
  }

  /** Sets the container up and leaves it waiting for `start` (or, with `run`, running). */
  async create(
    req: CreateRequest,
    mode: 'create' | 'run' | 'run-detached' = 'create',
  ): Promise<{ record: ContainerRecord; exit: Promise<number> }> {
    const bundle = req.bundle;
    const spec = req.spec ?? readSpec(bundle);
    const rootfs = checkRootfs(bundle, spec);
    this.store.claim(req.id);
    const cgroupsPath = cgroupsPathOf(spec, req.id);
    let pid = 0;
    try {
      const plan = compileCreate({
        id: req.id,
        bundle,
        spec,
        facts: hostFacts(cgroupsPath),
        execFifo: mode === 'create' ? this.store.fifo(req.id) : undefined,
        foreground: mode === 'run',
        consoleSocket: req.consoleSocket,
        pidFile: req.pidFile,
        reportFd: req.reportFd ?? interpreterFds(req.extraFds?.length ?? 0).report,
        noPivot: req.noPivot,
        preserveFds: req.preserveFds,
        sources: bindSources(spec),
        seccompCache: spec.linux?.seccomp ? this.seccompCache() : undefined,
      });
      const running = this.#perform(plan, req);
      pid = await running.pid;
      const record: ContainerRecord = {
        ociVersion: spec.ociVersion,
        id: req.id,
        pid,
        pidStart: procStat(pid)?.start ?? '',
        bundle,
        rootfs,
        cgroupsPath,
        created: new Date().toISOString(),
        annotations: spec.annotations ?? {},
        spec,
      };
      this.store.save(record);
      if (mode !== 'run') await running.exit;
      return { record, exit: running.exit };
    } catch (err) {
      // The interpreter cleans up after its own failures; a failure after it reported the pid
      // (saving state, say) leaves a process and cgroups that are ours to remove.
      if (pid > 0) await this.#removeProcesses(cgroupsPath, pid);
      this.store.remove(req.id);
      throw err;
    }
  }

  /** Through the launcher when there is one and the stdio can be named to it; else spawned. */
  #perform(plan: Plan, req: CreateRequest): PlanRun {
    if (req.perform) return req.perform(plan);
    const stdio = launchStdio(req.stdio);
    if (this.#launcher && stdio && !req.extraFds?.length) return this.#launcher.run(plan, stdio);
    return runPlan(plan, { stdio: req.stdio, extraFds: req.extraFds });
  }

  async #removeProcesses(cgroupsPath: string, pid: number): Promise<void> {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    if (this.cgroups.exists(cgroupsPath)) {
      await this.cgroups.killAll(cgroupsPath, 'SIGKILL');
      await this.cgroups.destroy(cgroupsPath);
    }
  }

  /** A root-only directory where berth-exec keeps compiled seccomp filters. */
  seccompCache(): string {
    const dir = join(this.store.root, '.seccomp-cache');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  status(record: ContainerRecord): Status {
    if (!isAlive(record.pid, record.pidStart)) return 'stopped';
    if (existsSync(this.store.fifo(record.id))) return 'created';
    if (this.cgroups.frozen(record.cgroupsPath)) return 'paused';
    return 'running';
  }

  state(id: string): ContainerState {
    return this.toState(this.store.load(id));
  }

  toState(record: ContainerRecord): ContainerState {
    const status = this.status(record);
    return {
      ociVersion: record.ociVersion,
      id: record.id,
      pid: status === 'stopped' ? 0 : record.pid,
      status: status as ContainerState['status'],
      bundle: record.bundle,
      rootfs: record.rootfs,
      created: record.created,
      owner: '',
      annotations: record.annotations,
    };
  }

  list(): ContainerState[] {
    const out: ContainerState[] = [];
    for (const id of this.store.list()) {
      try {
        out.push(this.state(id));
      } catch (err) {
        if (errorKind(err) !== 'NotFound') throw err;
      }
    }
    return out;
  }

  /** Lets a created container run: reads the exec fifo its process is blocked on. */
  async start(id: string): Promise<void> {
    this.store.load(id); // NotFound before anything else
    // one start at a time: a second reader of the fifo would wait for a byte that never comes
    const lockFd = openSync(join(this.store.dir(id), 'start.lock'), 'a', 0o600);
    try {
      fsops().flock(lockFd, LOCK_EX | LOCK_NB);
    } catch (err) {
      closeSync(lockFd);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EWOULDBLOCK' || code === 'EAGAIN') throw conflict(`container ${id} is being started`);
      throw err;
    }
    try {
      await this.#start(id);
    } finally {
      closeSync(lockFd);
    }
  }

  async #start(id: string): Promise<void> {
    const record = this.store.load(id);
    const status = this.status(record);
    if (status === 'stopped') throw conflict('cannot start a container that has stopped');
    if (status !== 'created') throw conflict(`cannot start an already ${status} container`);
    const fifo = this.store.fifo(id);
    // The open blocks until the container's process opens the fifo for writing; if that
    // process dies first, open the write side ourselves so the read returns.
    let done = false;
    const watchdog = setInterval(() => {
      if (!done && !isAlive(record.pid, record.pidStart)) {
        void open(fifo, 'r+').then(
          (h) => h.close(),
          () => {},
        );
      }
    }, 20);
    try {
      const handle = await open(fifo, 'r');
      const { bytesRead } = await handle.read(Buffer.alloc(1), 0, 1, null);
      await handle.close();
      done = true;
      if (bytesRead !== 1) throw internal(`container ${id} ended before it started`);
    } finally {
      clearInterval(watchdog);
    }
    await unlink(fifo);
    this.poststart(record);
  }

  poststart(record: ContainerRecord): void {
    try {
      runHooks('poststart', record.spec.hooks?.poststart, { ...this.toState(record), status: 'running' });
    } catch (err) {
      process.emitWarning((err as Error).message);
    }
  }

  /** Sends a signal to the container's first process, or with `all` to every process in it. */
  async kill(id: string, signal: number, all = false): Promise<void> {
    const record = this.store.load(id);
    const status = this.status(record);
    if (status === 'stopped') throw conflict(`container ${id} is not running`);
    if (all) {
      await this.cgroups.killAll(record.cgroupsPath, signal);
      return;
    }
    process.kill(record.pid, signal);
  }

  /** Removes a stopped (or, with force, any) container: processes, cgroups, state. */
  async delete(id: string, force = false): Promise<void> {
    const record = this.store.load(id);
    const status = this.status(record);
    if (status === 'running' || status === 'paused') {
      if (!force) throw conflict(`cannot delete container ${id} that is not stopped: ${status}`);
    }
    if (status !== 'stopped') {
      if (this.cgroups.exists(record.cgroupsPath)) await this.cgroups.killAll(record.cgroupsPath, 'SIGKILL');
      else process.kill(record.pid, 'SIGKILL');
      for (let i = 0; i < 500 && isAlive(record.pid, record.pidStart); i++) sleepSync(2);
      await this.cgroups.destroy(record.cgroupsPath);
    } else if (!this.cgroups.removeEmpty(record.cgroupsPath)) {
      // the first process is gone but others it left behind (or child cgroups) are not
      if (this.cgroups.pids(record.cgroupsPath).length > 0)
        await this.cgroups.killAll(record.cgroupsPath, 'SIGKILL');
      await this.cgroups.destroy(record.cgroupsPath);
    }
    this.store.remove(id);
    try {
      runHooks('poststop', record.spec.hooks?.poststop, { ...this.toState(record), status: 'stopped' });
    } catch (err) {
      process.emitWarning((err as Error).message);
    }
  }

  async pause(id: string): Promise<void> {
    const record = this.store.load(id);
    const status = this.status(record);
    if (status !== 'running' && status !== 'created') throw conflict(`container ${id} is not running`);
    await this.cgroups.freeze(record.cgroupsPath);
  }

  async resume(id: string): Promise<void> {
    const record = this.store.load(id);
    if (this.status(record) !== 'paused') throw conflict(`container ${id} is not paused`);
    await this.cgroups.thaw(record.cgroupsPath);
  }

  pids(id: string): number[] {
    const record = this.store.load(id);
    return this.cgroups.pids(record.cgroupsPath);
  }

  spec(id: string): Spec {
    return this.store.load(id).spec;
  }
}

/** 'ignore' and 'inherit' can be named to the launcher; pipes, fds and streams cannot. */
function launchStdio(stdio: RunPlanOptions['stdio']): LaunchStdio | undefined {
  const [stdin, stdout, stderr] = (stdio ?? ['inherit', 'inherit', 'inherit']).map((item) =>
    item === 'ignore' ? '/dev/null' : item === 'inherit' ? 'inherit' : undefined,
  );
  if (!stdin || !stdout || !stderr) return undefined;
  return { stdin, stdout, stderr };
}

export function requirePositive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw invalidArgument(`${name} must be a non-negative integer`);
  return value;
}
