// Containers in the engine: create, start, stop, kill, restart, remove, wait, pause, rename,
// attach, and re-adoption after a berthd restart. Each running container has a berth-shim
// (native/SHIM.md) holding its stdio and log; berthd keeps one monitor connection to it and
// learns the exit from it (or, after a restart, from the shim's exit.json).

import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import {
  conflict,
  errorKind,
  internal,
  invalidArgument,
  notFound,
  notImplemented,
  notModified,
  prefixed,
} from '../../common/errors.ts';
import { makeEvent } from '../../common/events.ts';
import { matchLabels, parseTimestampNs } from '../../common/filters.ts';
import { MAX_TIMER_MS } from '../../common/timers.ts';
import type { Digest } from '../../image/digest.ts';
import type { Image } from '../../image/image-store.ts';
import { encodePlan } from '../../plan/encode.ts';
import type { Plan } from '../../plan/types.ts';
import { availableCpuset, cgroupHostFeatures } from '../../runtime/cgroups/detect.ts';
import { hostBaseFacts } from '../../runtime/facts.ts';
import { Launcher } from '../../runtime/launcher.ts';
import { goErrnoWords, PlanFailure } from '../../runtime/native.ts';
import { isAlive } from '../../runtime/proc.ts';
import { Runtime } from '../../runtime/runtime.ts';
import {
  adaptHostConfig,
  bindSources,
  DEFAULT_RUNTIME,
  entrypointAndArgs,
  mergeImageConfig,
  parseNetworkMode,
  parseSignal,
  updateHostConfig,
  validateCreate,
} from '../../spec/docker/container.ts';
import { type CreateFacts, containerRef } from '../../spec/docker/container-validate.ts';
import { hostnameFile, hostsFile, resolvConfFile } from '../../spec/docker/etc-files.ts';
import { type EndpointRequest, parseLink } from '../../spec/docker/network.ts';
import type { Spec } from '../../spec/oci.ts';
import { isMountPoint, mount, mountVolatile, unmount } from '../../storage/mount.ts';
import { changesSize } from '../../storage/usage.ts';
import type { EventBus, Filters } from '../events.ts';
import { dockerDriverName, type Images } from '../images.ts';
import { type Networks, ownsNetns } from '../networks/networks.ts';
import { bridge, parseDetachKeys } from './attach.ts';
import { matchesFilters, parseListFilters } from './filters.ts';
import { inspectContainer, summary } from './inspect.ts';
import { ListCache } from './list.ts';
import { deferred, type ExitInfo, Live } from './live.ts';
import { checkLogConfig, jsonFileLimits, logDetails } from './log-config.ts';
import { encodeLogEntry, type LogsQuery, readLogs } from './logs.ts';
import {
  type ContainerConfig,
  type ContainerRecord,
  ContainerStore,
  type HostConfig,
  initialState,
  newId,
  ZERO_TIME,
} from './record.ts';
import {
  abandonShim,
  type ExitRecord,
  endWaitingShim,
  FRAME,
  readExit,
  ShimConnection,
  spawnShim,
  startThroughShim,
} from './shim.ts';
import { buildSpec, type SpecContext } from './spec.ts';
import { containerStats } from './stats.ts';
import { containerTop } from './top.ts';

export interface ContainersConfig {
  dataRoot: string;
  execRoot: string;
  logOpts?: Record<string, string>;
  /** daemon.json `init` and `init-path` */
  init?: boolean;
  initPath?: string;
}

export interface CreateBody extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: { EndpointsConfig?: Record<string, EndpointRequest | null> | null } | null;
}

/** GET /containers/json's query. */
export interface ListOptions {
  all: boolean;
  limit: number;
  size: boolean;
  filters: Filters;
}

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys?: string;
}

/**
 * How long a shim started at create waits for the container's start. `docker run` starts the
 * container a few ms after its create: its shim, started at once, is up by then, off the
 * start's path (~2-5 ms). Past this, the shim is ended and a start spawns one.
 */
const EARLY_SHIM_MS = 5_000;

/** The runtimes a container may name (`docker info`'s Runtimes). */
export const RUNTIMES: readonly string[] = ['berth', 'runc'];

export class Containers {
  readonly store: ContainerStore;
  readonly runtime: Runtime;
  /** forks the shims (containers' and execs'): berth-exec --serve, started on first use */
  readonly launcher = new Launcher();
  readonly #images: Images;
  readonly #events: EventBus;
  readonly #cfg: ContainersConfig;
  readonly #live = new Map<string, Live>();
  readonly #listCache = new ListCache();
  #closing = false;
  #cgroupParentReady = false;
  /** the healthcheck monitors (health.ts), told when a container starts and exits */
  health: { start(rec: ContainerRecord): void; stop(id: string): void } | undefined;
  /** bridge and user-defined networks: set by the engine */
  networks: Networks | undefined;

  constructor(cfg: ContainersConfig, images: Images, events: EventBus) {
    this.#cfg = cfg;
    this.#images = images;
    this.#events = events;
    this.store = new ContainerStore(join(cfg.dataRoot, 'containers'));
    this.runtime = new Runtime(join(cfg.execRoot, 'runtime'));
    mkdirSync(join(cfg.execRoot, 'c'), { recursive: true, mode: 0o700 });
    mkdirSync(join(cfg.execRoot, 'x'), { recursive: true, mode: 0o700 });
  }

  live(id: string): Live {
    let l = this.#live.get(id);
    if (!l) {
      l = new Live();
      this.#live.set(id, l);
    }
    return l;
  }

  /** Kept short: unix socket paths (shim.sock, console.sock) must fit in 108 bytes. */
  shimDir(id: string): string {
    return join(this.#cfg.execRoot, 'c', id.slice(0, 32));
  }

  execDir(execId: string): string {
    return join(this.#cfg.execRoot, 'x', execId.slice(0, 32));
  }

  rootfs(id: string): string {
    return join(this.shimDir(id), 'rootfs');
  }

  #emit(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    const attrs: Record<string, string> = {
      ...(rec.Config.Labels ?? {}),
      image: rec.Config.Image ?? '',
      name: rec.Name.slice(1),
      ...extra,
    };
    this.#events.publish(makeEvent('container', action, rec.ID, attrs));
  }

  /** Which container uses an image (for rmi). */
  imageUser(imageId: Digest): { id: string; running: boolean } | undefined {
    let stopped: { id: string; running: boolean } | undefined;
    for (const rec of this.store.all()) {
      if (rec.Image !== imageId) continue;
      if (rec.State.Running) return { id: rec.ID, running: true };
      stopped ??= { id: rec.ID, running: false };
    }
    return stopped;
  }

  // ---- create -----------------------------------------------------------------------------

  async create(name: string | undefined, body: CreateBody): Promise<{ Id: string; Warnings: string[] }> {
    const { HostConfig: hc = {}, NetworkingConfig: net, ...config } = body;
    if (!config.Image) throw invalidArgument('Config cannot be empty in order to create a container');
    const facts = this.#createFacts();
    const warnings = validateCreate(config, hc, { ...facts, networks: this.networks !== undefined });
    this.#checkCreateRefs(hc);
    let image: Image;
    try {
      image = this.#images.store.get(config.Image);
    } catch (err) {
      if (errorKind(err) === 'NotFound') throw notFound(`No such image: ${config.Image}`);
      throw err;
    }
    // once: the kernel fills each container's cpuset from /berth (v1), the plans need not
    this.#cgroupParentReady ||= this.runtime.cgroups.prepareParent('/berth');
    const merged = mergeImageConfig(config, image.config.config);
    // `--entrypoint ""`: stored as unset, as dockerd stores it
    if (merged.Entrypoint?.length === 0) merged.Entrypoint = null;
    const cmd = entrypointAndArgs(merged);
    const id = newId();
    const fullName = this.store.reserveName(name, id);
    const dir = this.store.dir(id);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o710 });
      const top = image.layers.at(-1)?.chainId;
      await this.#images.snapshots.prepare(`container-${id}`, top);
      if (!merged.Hostname) merged.Hostname = id.slice(0, 12);
      const hostConfig: HostConfig = adaptHostConfig(hc, {
        cgroupVersion: facts.cgroupVersion,
        runtime: DEFAULT_RUNTIME,
      });
      // `container:<name>` modes name the container by its ID, as dockerd stores them (a rename
      // of the other container does not break them)
      for (const key of ['NetworkMode', 'IpcMode', 'PidMode'] as const) {
        const other = containerRef(hostConfig[key]);
        const found = other === undefined ? undefined : this.store.find(other);
        if (found) hostConfig[key] = `container:${found.ID}`;
      }
      hostConfig.LogConfig = checkLogConfig(hostConfig.LogConfig);
      const networkSettings = config.NetworkDisabled
        ? undefined
        : this.networks?.endpointsAtCreate(hostConfig.NetworkMode, net?.EndpointsConfig);
      const rec: ContainerRecord = {
        ID: id,
        Created: new Date().toISOString(),
        Path: cmd.path,
        Args: cmd.args,
        State: initialState(),
        Image: image.id,
        Name: fullName,
        RestartCount: 0,
        Driver: this.#images.snapshots.driver,
        Config: merged,
        HostConfig: hostConfig,
        LogPath: hostConfig.LogConfig.Type === 'none' ? '' : join(dir, `${id}-json.log`),
        ResolvConfPath: join(dir, 'resolv.conf'),
        HostnamePath: join(dir, 'hostname'),
        HostsPath: join(dir, 'hosts'),
        ManuallyStopped: false,
        CgroupsPath: `/berth/${id}`,
        ...(networkSettings ? { NetworkSettings: networkSettings } : {}),
      };
      this.store.save(rec);
      this.#emit(rec, 'create');
      // once the answer has gone out
      setImmediate(() => this.#spawnEarlyShim(id));
      return { Id: id, Warnings: warnings };
    } catch (err) {
      this.store.releaseName(fullName, id);
      if (this.#images.snapshots.has(`container-${id}`))
        await this.#images.snapshots.remove(`container-${id}`).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** What validateCreate needs to know about this host (create and update). */
  #createFacts(): CreateFacts & { cgroupVersion: 1 | 2 } {
    const facts = hostBaseFacts();
    const features = cgroupHostFeatures(facts.cgroup, '/berth/create');
    return {
      ncpu: availableParallelism(),
      capLastCap: facts.capLastCap,
      cgroupVersion: facts.cgroup.version === 2 ? 2 : 1,
      ...availableCpuset(facts.cgroup, features),
      blkioWeight: features.blkioWeightFile !== null,
      daemonRoot: this.#cfg.dataRoot,
      runtimes: RUNTIMES,
    };
  }

  /**
   * What dockerd checks at create rather than at start: the containers `--ipc`, `--pid` and
   * `--link` name exist, and `--mount type=bind` sources exist (`-v` creates a missing one at
   * start).
   */
  #checkCreateRefs(hc: HostConfig): void {
    for (const link of hc.Links ?? []) {
      const { target } = parseLink(link);
      if (!this.store.find(target))
        throw invalidArgument(`could not get container for ${target}: No such container: ${target}`);
    }
    for (const ref of [containerRef(hc.IpcMode), containerRef(hc.PidMode)]) {
      if (ref === undefined) continue;
      try {
        this.store.get(ref);
      } catch (err) {
        if (errorKind(err) === 'NotFound') throw invalidArgument((err as Error).message);
        throw err;
      }
    }
    for (const b of bindSources(hc))
      if (!b.create && !existsSync(b.path)) throw invalidArgument(b.missingError);
  }

  // ---- start ------------------------------------------------------------------------------

  async start(ref: string): Promise<void> {
    const rec = this.store.get(ref);
    const live = this.live(rec.ID);
    try {
      await live.serialize(() => this.#start(rec.ID, false));
    } catch (err) {
      // as dockerd: an --rm container that failed to start is removed (docker run waits for it)
      if (rec.HostConfig.AutoRemove && errorKind(err) !== 'NotModified')
        await this.remove(rec.ID, { force: true, volumes: false }).catch(() => {});
      throw err;
    }
  }

  async #start(id: string, restarting: boolean): Promise<void> {
    const rec = this.store.get(id);
    if (rec.State.Paused) throw conflict('cannot start a paused container, try unpause instead');
    if (rec.State.Running) {
      if (restarting) return;
      throw notModified('container already started');
    }
    if (rec.State.Status === 'removing' || rec.State.Dead)
      throw conflict(`cannot start a container that is being removed: ${rec.ID}`);
    const live = this.live(id);
    if (live.restartTimer) {
      clearTimeout(live.restartTimer);
      live.restartTimer = undefined;
    }
    rec.ManuallyStopped = false;
    // as dockerd: a start by hand (start, restart) begins a new count for on-failure:N
    if (!restarting) {
      rec.RestartCount = 0;
      live.restartDelay = 0;
    }
    const shimDir = this.shimDir(id);
    mkdirSync(shimDir, { recursive: true, mode: 0o700 });
    rmSync(join(shimDir, 'exit.json'), { force: true });
    // the shim started at create, if it is still there (a new one if it failed); else one
    // starts now (~2-5 ms) while the rest is prepared: it reads the plan only at START
    const early = live.takeEarlyShim();
    const shim = early ? early.started.catch(() => this.#spawnShim(rec)) : this.#spawnShim(rec);
    // so are the network namespace and its endpoints (on the threadpool), while the rootfs,
    // files and spec are made here: their path and addresses are known at once
    const net = this.networks?.attach(rec) ?? { netns: undefined, ready: Promise.resolve() };
    net.ready.catch(() => {}); // awaited before START
    let started = false;
    let spec: Spec;
    let etcFiles: Promise<void> = Promise.resolve();
    try {
      for (const b of bindSources(rec.HostConfig)) {
        if (existsSync(b.path)) continue;
        if (!b.create) throw invalidArgument(b.missingError);
        mkdirSync(b.path, { recursive: true, mode: 0o755 });
      }
      this.#mountRootfs(rec);
      const joined = this.#joinedNamespaces(rec);
      if (net.netns) joined.netns = { path: net.netns };
      const netMode = parseNetworkMode(rec.HostConfig.NetworkMode);
      if (netMode.kind === 'container') {
        // as dockerd: the joined container's /etc/hostname, /etc/hosts and /etc/resolv.conf
        // are mounted, and its names are this container's
        const other = this.store.get(netMode.name);
        rec.HostnamePath = other.HostnamePath;
        rec.HostsPath = other.HostsPath;
        rec.ResolvConfPath = other.ResolvConfPath;
        rec.Config.Hostname = other.Config.Hostname;
        rec.Config.Domainname = other.Config.Domainname;
      } else {
        etcFiles = this.#writeEtcFiles(rec);
        etcFiles.catch(() => {}); // awaited below
      }
      spec = buildSpec(rec, {
        rootfs: this.rootfs(id),
        daemonRoot: this.#cfg.dataRoot,
        init: this.#cfg.init,
        initPath: this.#cfg.initPath,
        ...joined,
      });
      writeFileSync(join(shimDir, 'config.json'), JSON.stringify(spec));
      // before the plan: it is compiled with the bind sources as they are on disk
      await etcFiles;
    } catch (err) {
      await this.#abandonShim(shimDir, shim);
      await etcFiles.catch(() => {});
      await this.#unprepare(rec, net.ready);
      throw err;
    }
    // what the process needs before it runs and is not made yet: its network namespace
    let prepFailure: unknown;
    const prepared = net.ready;
    prepared.catch((err) => {
      prepFailure = err; // seen by perform first, which abandons the shim
    });
    if (this.runtime.store.exists(id)) await this.runtime.delete(id, true).catch(() => {});
    try {
      const { record } = await this.runtime.create(
        {
          id,
          bundle: shimDir,
          spec,
          consoleSocket: rec.Config.Tty ? join(shimDir, 'console.sock') : undefined,
          reportFd: 3,
          perform: (plan) => {
            started = true;
            return this.#performThroughShim(rec, plan, shim, prepared);
          },
        },
        'run-detached',
      );
      rec.State = {
        ...rec.State,
        Status: 'running',
        Running: true,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: record.pid,
        ExitCode: 0,
        Error: '',
        StartedAt: new Date().toISOString(),
        FinishedAt: rec.State.FinishedAt,
      };
      rec.CgroupsPath = record.cgroupsPath;
      this.store.save(rec);
      this.#emit(rec, 'start');
      this.health?.start(rec);
      // the exit may have been seen before the record said running
      const conn = live.monitor;
      if (conn?.exit) void this.#exited(id, conn.exit);
    } catch (err) {
      if (err === prepFailure) {
        // as a failure while preparing: the shim was abandoned, attach undid itself
        await this.#unprepare(rec, net.ready);
        throw err;
      }
      if (!started) await this.#abandonShim(shimDir, shim);
      // the docker CLI picks its exit status from these words
      const message = goErrnoWords((err as Error).message);
      rec.State.Error = message;
      rec.State.ExitCode = err instanceof PlanFailure ? err.exitStatus : 128;
      this.store.save(rec);
      live.monitor?.close();
      live.monitor = undefined;
      // attached clients (docker run) learn it from the start's error: their streams end
      for (const attach of live.pending) attach.finish();
      live.pending.clear();
      this.#unmountRootfs(rec);
      // once its endpoints are made (a failure before START may come first)
      await net.ready.then(() => this.networks?.detach(rec)).catch(() => {});
      this.store.save(rec);
      throw invalidArgument(`failed to create task for container: ${message}`);
    }
  }

  /**
   * Undoes what a start that failed before START prepared: the rootfs's mount and, once `ready`
   * (a failed attach undid itself), the network endpoints.
   */
  async #unprepare(rec: ContainerRecord, ready: Promise<void>): Promise<void> {
    this.#unmountRootfs(rec);
    await ready.then(
      () => this.networks?.detach(rec),
      () => {},
    );
  }

  /** The namespaces of other containers that `container:<name>` modes join. */
  #joinedNamespaces(rec: ContainerRecord) {
    const pidOf = (ref: string) => {
      const other = this.store.get(ref);
      if (!other.State.Running)
        throw conflict(`cannot join namespaces of a non running container: ${other.ID}`);
      return other;
    };
    const out: Pick<SpecContext, 'netns' | 'ipcns' | 'pidns'> = {};
    const net = parseNetworkMode(rec.HostConfig.NetworkMode);
    if (rec.State.Running && rec.NetworkSettings?.SandboxKey && ownsNetns(rec))
      out.netns = { path: rec.NetworkSettings.SandboxKey };
    if (net.kind === 'container') {
      const other = pidOf(net.name);
      out.netns = {
        path: `/proc/${other.State.Pid}/ns/net`,
        hostname: other.Config.Hostname,
        domainname: other.Config.Domainname,
      };
    }
    const ipc = containerRef(rec.HostConfig.IpcMode);
    if (ipc) out.ipcns = { path: `/proc/${pidOf(ipc).State.Pid}/ns/ipc` };
    const pid = containerRef(rec.HostConfig.PidMode);
    if (pid) out.pidns = { path: `/proc/${pidOf(pid).State.Pid}/ns/pid` };
    return out;
  }

  /**
   * A shim for a container just created, for its first start (which follows at once with
   * `docker run`); ended after EARLY_SHIM_MS without a start, or when the container is removed.
   */
  #spawnEarlyShim(id: string): void {
    const rec = this.store.find(id);
    const live = this.live(id);
    if (!rec || rec.State.Running || live.earlyShim || this.#closing) return;
    const dir = this.shimDir(id);
    let started: Promise<void>;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      started = this.#spawnShim(rec);
    } catch {
      return; // the start spawns one, and reports what is wrong
    }
    const early = {
      started,
      // serialised with start and remove, which take it first
      timer: setTimeout(() => {
        void live.serialize(async () => {
          if (live.earlyShim !== early) return;
          live.takeEarlyShim();
          await this.#abandonShim(dir, started);
        });
      }, EARLY_SHIM_MS),
    };
    early.timer.unref();
    live.earlyShim = early;
  }

  /** Ends a shim started at create that no start took. */
  async #dropEarlyShim(id: string): Promise<void> {
    const early = this.#live.get(id)?.takeEarlyShim();
    if (!early) return;
    await this.#abandonShim(this.shimDir(id), early.started);
  }

  /** Starts the container's shim; it waits for START (the plan file is filled in before). */
  #spawnShim(rec: ContainerRecord): Promise<void> {
    const shimDir = this.shimDir(rec.ID);
    const planFile = join(shimDir, 'plan');
    // created empty if missing, never emptied: a shim spawned while the plan is being written
    // (the early shim failed) must not truncate it
    writeFileSync(planFile, '', { mode: 0o600, flag: 'a' });
    const started = spawnShim(
      {
        dir: shimDir,
        plan: planFile,
        tty: rec.Config.Tty === true,
        stdin: rec.Config.OpenStdin === true,
        // the json-file limits, checked at start as dockerd's logger does
        log: rec.LogPath ? { path: rec.LogPath, ...jsonFileLimits(this.#logOpts(rec)) } : undefined,
        oom: this.#oomFile(rec),
      },
      this.launcher,
    );
    started.catch(() => {}); // awaited where it is used
    return started;
  }

  /** A shim that will never get START: it waits forever, so it is killed (it ignores SIGTERM). */
  async #abandonShim(shimDir: string, shim: Promise<void>): Promise<void> {
    try {
      await shim;
    } catch {
      return; // it never started
    }
    abandonShim(shimDir);
  }

  /**
   * Writes the plan and, once the shim is up and the rest `prepared` (the network namespace; on
   * its failure the shim is abandoned), sends START.
   */
  #performThroughShim(rec: ContainerRecord, plan: Plan, shim: Promise<void>, prepared: Promise<void>) {
    const shimDir = this.shimDir(rec.ID);
    const live = this.live(rec.ID);
    const pid = (async () => {
      writeFileSync(join(shimDir, 'plan'), encodePlan(plan), { mode: 0o600 });
      try {
        await prepared;
      } catch (err) {
        await this.#abandonShim(shimDir, shim);
        throw err;
      }
      await shim;
      // the monitor's connection and those of the clients attached before the start, at once
      const early = [...live.pending].map(() => ShimConnection.connect(shimDir));
      for (const c of early) c.catch(() => {}); // awaited below, unless the monitor's fails
      const monitor = await ShimConnection.connect(shimDir);
      live.monitor = monitor;
      this.#watch(rec.ID, monitor);
      // the size the client's terminal had at create (the docker CLI sends it): set before the
      // process runs, so its first look at the terminal sees it
      const size = rec.HostConfig.ConsoleSize;
      if (rec.Config.Tty && size && size[0] > 0 && size[1] > 0)
        monitor.send(FRAME.RESIZE, `${size[0]} ${size[1]}`);
      const conns = await Promise.all(early);
      for (const attach of live.pending)
        attach.join(conns.shift() ?? (await ShimConnection.connect(shimDir)));
      live.pending.clear();
      for (const unused of conns) unused.close(); // their clients went away meanwhile
      return startThroughShim(monitor).pid;
    })();
    const exit = pid.then(() => 0);
    exit.catch(() => {}); // the pid promise carries the failure
    return { pid, exit };
  }

  /** The json-file options of a container: the daemon's log-opts, then its own. */
  #logOpts(rec: ContainerRecord): Record<string, string> {
    return { ...(this.#cfg.logOpts ?? {}), ...(rec.HostConfig.LogConfig?.Config ?? {}) };
  }

  #oomFile(rec: ContainerRecord): string | undefined {
    for (const dir of this.runtime.cgroups.paths(rec.CgroupsPath)) {
      if (this.runtime.cgroups.version === 2) return join(dir, 'memory.events');
      if (dir.includes('/memory/')) return join(dir, 'memory.oom_control');
    }
    return undefined;
  }

  #mountRootfs(rec: ContainerRecord): void {
    const target = this.rootfs(rec.ID);
    mkdirSync(target, { recursive: true, mode: 0o700 });
    if (this.#isMounted(target)) return;
    const mounts = this.#images.snapshots.mounts(`container-${rec.ID}`);
    // --rm: the upper layer is thrown away at the exit
    if (rec.HostConfig.AutoRemove) mountVolatile(mounts, target);
    else mount(mounts, target);
  }

  #isMounted(target: string): boolean {
    try {
      return isMountPoint(target);
    } catch {
      return false;
    }
  }

  #unmountRootfs(rec: ContainerRecord): void {
    this.#unmountRootfsAt(this.rootfs(rec.ID));
  }

  #unmountRootfsAt(target: string): void {
    if (!existsSync(target)) return;
    try {
      if (this.#isMounted(target)) unmount(target, { detach: true, all: true });
      rmdirSync(target);
    } catch {
      // left for the next start or removal
    }
  }

  /**
   * /etc/hostname, /etc/hosts and /etc/resolv.conf of the container: worked out here (a bad
   * `--link` throws), written on the threadpool while the spec is built.
   */
  #writeEtcFiles(rec: ContainerRecord): Promise<void> {
    const hostname = rec.Config.Hostname || rec.ID.slice(0, 12);
    const hosts = hostsFile({
      hostname,
      domainname: rec.Config.Domainname,
      hostConfig: rec.HostConfig,
      hostHosts: readOrUndefined('/etc/hosts'),
      address: this.networks?.addressOf(rec),
      hostGateway: this.networks?.hostGateway(),
      links: this.#links(rec),
    });
    const resolvConf = resolvConfFile(
      readOrUndefined('/etc/resolv.conf') ?? '',
      rec.HostConfig,
      this.networks?.dnsServerFor(rec),
    );
    return Promise.all([
      writeFile(rec.HostnamePath, hostnameFile(hostname)),
      writeFile(rec.HostsPath, hosts),
      writeFile(rec.ResolvConfPath, resolvConf),
    ]).then(() => {});
  }

  /** `--link name:alias`: the linked containers, which must run, by address and names. */
  #links(rec: ContainerRecord): { ip: string; names: string[] }[] {
    const out: { ip: string; names: string[] }[] = [];
    for (const link of rec.HostConfig.Links ?? []) {
      const { target, alias } = parseLink(link);
      const other = this.store.find(target);
      if (!other)
        throw invalidArgument(`could not get container for ${target}: No such container: ${target}`);
      if (!other.State.Running)
        throw invalidArgument(
          `Cannot link to a non running container: ${other.Name} AS ${rec.Name}/${alias}`,
        );
      const ip = this.networks?.addressOf(other);
      if (!ip) continue;
      const name = other.Name.slice(1);
      out.push({ ip, names: [...new Set([alias, other.ID.slice(0, 12), name])] });
    }
    return out;
  }

  // ---- exits ------------------------------------------------------------------------------

  #watch(id: string, conn: ShimConnection): void {
    conn.onFrame((type) => {
      if (type === FRAME.EXIT) void this.#exited(id, conn.exit ?? readExit(this.shimDir(id)));
    });
    void conn.closed.then(() => {
      if (this.#closing) return;
      const rec = this.store.find(id);
      if (rec?.State.Running && this.live(id).monitor === conn) {
        // the shim went away without an EXIT frame: read its record, or it died
        void this.#exited(id, readExit(this.shimDir(id)));
      }
    });
  }

  async #exited(id: string, exit: ExitRecord | undefined): Promise<void> {
    const rec = this.store.find(id);
    if (!rec?.State.Running) return;
    this.health?.stop(id);
    const live = this.live(id);
    live.monitor?.close();
    live.monitor = undefined;
    rec.State = {
      ...rec.State,
      Status: 'exited',
      Running: false,
      Paused: false,
      Restarting: false,
      Pid: 0,
      ExitCode: exit ? exit.exitCode : 255,
      OOMKilled: exit?.oomKilled ?? false,
      Error: exit ? exit.error : 'the container monitor (berth-shim) ended unexpectedly',
      FinishedAt: exit?.finishedAt || new Date().toISOString(),
    };
    if (rec.State.Health) rec.State.Health.Status = 'unhealthy';
    // the record first (exit.json goes only after it, so a crash in between loses nothing),
    // then the waiters get their answer, then the clean-up, serialised with start and remove
    // (not for --rm: the record goes at once; a crash before that finds exit.json as for any
    // container that exited while berthd was down, and removes it then; until it goes, the list
    // shows it exited as inspect does)
    if (rec.HostConfig.AutoRemove) this.store.changed(rec);
    else this.store.save(rec);
    if (rec.State.OOMKilled) this.#emit(rec, 'oom');
    this.#emit(rec, 'die', { exitCode: String(rec.State.ExitCode) });
    const exited = live.exited;
    live.exited = deferred<ExitInfo>();
    exited.resolve({ StatusCode: rec.State.ExitCode, Error: null });
    if (rec.HostConfig.AutoRemove) {
      // remove() deletes the runtime state and unmounts the rootfs itself
      await this.remove(id, { force: true, volumes: false, exited: true }).catch(() => {});
      return;
    }
    await live
      .serialize(async () => {
        const now = this.store.find(id);
        if (!now || now.State.Running) return; // started again meanwhile: start cleaned up
        if (this.runtime.store.exists(id)) await this.runtime.delete(id, true).catch(() => {});
        this.#unmountRootfs(now);
        if (now.NetworkSettings) {
          await this.networks?.detach(now).catch(() => {});
          this.store.save(now);
        }
        rmSync(join(this.shimDir(id), 'exit.json'), { force: true });
      })
      .catch(() => {});
    this.#maybeRestart(rec);
  }

  #maybeRestart(rec: ContainerRecord): void {
    if (this.#closing) return;
    const policy = rec.HostConfig.RestartPolicy?.Name ?? 'no';
    const max = rec.HostConfig.RestartPolicy?.MaximumRetryCount ?? 0;
    let restart = false;
    if (policy === 'always') restart = !rec.ManuallyStopped;
    else if (policy === 'unless-stopped') restart = !rec.ManuallyStopped;
    else if (policy === 'on-failure')
      restart = !rec.ManuallyStopped && rec.State.ExitCode !== 0 && (max === 0 || rec.RestartCount < max);
    if (!restart) return;
    // dockerd's backoff: 100 ms, doubled at each restart up to a minute; 100 ms again after a
    // run of 10 s or more
    const live = this.live(rec.ID);
    const ran = Date.parse(rec.State.FinishedAt) - Date.parse(rec.State.StartedAt);
    const delay = ran >= 10_000 || !live.restartDelay ? 100 : Math.min(live.restartDelay * 2, 60_000);
    live.restartDelay = delay;
    // as dockerd: counted when the restart is decided; the new run's event is `start`
    rec.RestartCount++;
    rec.State.Restarting = true;
    rec.State.Status = 'restarting';
    this.store.save(rec);
    live.restartTimer = setTimeout(() => {
      live.restartTimer = undefined;
      void live
        .serialize(async () => {
          const now = this.store.find(rec.ID);
          if (!now?.State.Restarting) return;
          now.State.Restarting = false;
          this.store.save(now);
          await this.#start(rec.ID, true);
        })
        .catch(() => {
          const now = this.store.find(rec.ID);
          if (now) {
            now.State.Restarting = false;
            now.State.Status = 'exited';
            this.store.save(now);
          }
        });
    }, delay);
  }

  // ---- stop, kill, restart, remove ----------------------------------------------------------

  #signal(rec: ContainerRecord, signal: number): void {
    try {
      process.kill(rec.State.Pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  /** Whether the container exits within `ms` (a negative `ms`: however long it takes). */
  async #waitExit(id: string, ms: number): Promise<boolean> {
    const live = this.live(id);
    if (!this.store.get(id).State.Running) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      if (ms >= 0) timer = setTimeout(() => resolve(false), Math.min(ms, MAX_TIMER_MS));
    });
    const done = await Promise.race([live.exited.promise.then(() => true as const), timeout]);
    clearTimeout(timer);
    return done;
  }

  async stop(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const rec = this.store.get(ref);
    await this.live(rec.ID).serialize(() => this.#stop(rec.ID, opts));
  }

  async #stop(id: string, opts: { timeout?: number; signal?: string }): Promise<void> {
    const rec = this.store.get(id);
    const live = this.live(id);
    if (rec.State.Restarting) {
      if (live.restartTimer) clearTimeout(live.restartTimer);
      live.restartTimer = undefined;
      rec.State.Restarting = false;
      rec.State.Status = 'exited';
      rec.ManuallyStopped = true;
      this.store.save(rec);
      return;
    }
    if (!rec.State.Running) throw notModified('container already stopped');
    rec.ManuallyStopped = true;
    this.store.save(rec);
    const signal = parseSignal(opts.signal || rec.Config.StopSignal || 'SIGTERM');
    const timeout = opts.timeout ?? rec.Config.StopTimeout ?? 10;
    if (rec.State.Paused) await this.runtime.resume(id).catch(() => {});
    // as dockerd: the stop signal first, even with no time to act on it
    this.#signal(rec, signal);
    this.#emit(rec, 'kill', { signal: String(signal) });
    // a negative timeout waits as long as it takes, as dockerd's does
    if (!(await this.#waitExit(id, timeout * 1000))) {
      await this.#killAll(rec);
      if (!(await this.#waitExit(id, 30_000))) throw internal(`container ${id} did not stop`);
    }
    // as dockerd: kill (each signal sent), die, then stop
    this.#emit(rec, 'stop');
  }

  async #killAll(rec: ContainerRecord): Promise<void> {
    this.#emit(rec, 'kill', { signal: '9' });
    if (this.runtime.cgroups.exists(rec.CgroupsPath))
      await this.runtime.cgroups.killAll(rec.CgroupsPath, 'SIGKILL');
    else this.#signal(rec, 9);
  }

  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const rec = this.store.get(ref);
    const sig = parseSignal(signal);
    if (!rec.State.Running)
      throw conflict(`Cannot kill container: ${ref}: Container ${rec.ID} is not running`);
    rec.ManuallyStopped = true;
    this.store.save(rec);
    this.#signal(rec, sig);
    this.#emit(rec, 'kill', { signal: String(sig) });
    if (sig === 9) await this.#waitExit(rec.ID, 10_000);
  }

  async restart(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const rec = this.store.get(ref);
    await this.live(rec.ID).serialize(async () => {
      if (this.store.get(rec.ID).State.Running) await this.#stop(rec.ID, opts);
      await this.#start(rec.ID, false);
      this.#emit(rec, 'restart');
    });
  }

  /**
   * `exited`: the removal of an `--rm` container at its exit. Its record on disk still says it
   * runs (it was not saved at the exit): the file goes after the answers, with the directory; a
   * crash before that leaves a running record whose shim left exit.json (or is gone), and the
   * next berthd removes it again.
   */
  async remove(ref: string, opts: { force: boolean; volumes: boolean; exited?: boolean }): Promise<void> {
    const rec = this.store.get(ref);
    const live = this.live(rec.ID);
    await live.serialize(async () => {
      const now = this.store.find(rec.ID);
      if (!now) return;
      await this.#dropEarlyShim(now.ID);
      if (now.State.Running || now.State.Restarting) {
        if (!opts.force) {
          const state = now.State.Paused ? 'paused' : now.State.Restarting ? 'restarting' : 'running';
          const stop = 'the container before attempting removal or force remove';
          const advice = state === 'paused' ? `Unpause and then stop ${stop}` : `Stop ${stop}`;
          throw conflict(`You cannot remove a ${state} container ${now.ID}. ${advice}`);
        }
        if (live.restartTimer) clearTimeout(live.restartTimer);
        live.restartTimer = undefined;
        now.ManuallyStopped = true;
        now.HostConfig.AutoRemove = false;
        if (now.State.Running) {
          if (now.State.Paused) await this.runtime.resume(now.ID).catch(() => {});
          await this.#killAll(now);
          await this.#waitExit(now.ID, 30_000);
        }
      }
      now.State.Status = 'removing';
      // the record goes (the name is free) before the answer; the rest goes after it, before
      // berthd reads any other request (the next turn of its event loop): the rootfs's unmount
      // (~1 ms), the snapshot (out of the metadata and renamed away at once, its files
      // afterwards), the runtime's state and cgroups (all its processes are gone), the
      // directories
      this.store.forget(now, { keepFile: opts.exited === true && !now.State.Running });
      this.#emit(now, 'destroy');
      this.#live.delete(now.ID);
      live.removed.resolve({ StatusCode: now.State.ExitCode, Error: null });
      // the waiters' answers (docker run --rm) go out before the clean-up's synchronous work
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.#unmountRootfs(now);
      const key = `container-${now.ID}`;
      const removing = this.#images.snapshots.has(key) ? this.#images.snapshots.remove(key) : undefined;
      if (this.runtime.store.exists(now.ID)) await this.runtime.delete(now.ID, true).catch(() => {});
      this.store.removeDir(now.ID);
      rmSync(this.shimDir(now.ID), { recursive: true, force: true });
      // its addresses were free once the record went; its veths, rules and namespace go now,
      // after the waiters (docker run --rm) have their answer
      await this.networks?.detach(now).catch(() => {});
      await removing;
    });
  }

  // ---- networks ---------------------------------------------------------------------------

  /** `network connect`: serialised with the container's start and stop. */
  connect(networkRef: string, ref: string, endpoint: EndpointRequest | undefined): Promise<void> {
    const networks = this.#networksOrRefuse();
    const rec = this.store.get(ref);
    return this.live(rec.ID).serialize(() => networks.connect(networkRef, rec, endpoint));
  }

  disconnect(networkRef: string, ref: string, force: boolean): Promise<void> {
    const networks = this.#networksOrRefuse();
    const rec = this.store.get(ref);
    return this.live(rec.ID).serialize(() => networks.disconnect(networkRef, rec, force));
  }

  #networksOrRefuse(): Networks {
    if (!this.networks) throw conflict('networks are not available');
    return this.networks;
  }

  // ---- wait -------------------------------------------------------------------------------

  /** Resolves once the condition is met: not-running (default), next-exit or removed. */
  wait(ref: string, condition = 'not-running'): Promise<ExitInfo> {
    const rec = this.store.get(ref);
    const live = this.live(rec.ID);
    if (condition === 'removed') return live.removed.promise;
    if (condition === 'next-exit') return live.exited.promise;
    if (condition !== 'not-running' && condition !== '')
      throw invalidArgument(`invalid condition: "${condition}"`);
    if (!rec.State.Running && !rec.State.Restarting)
      return Promise.resolve({ StatusCode: rec.State.ExitCode, Error: null });
    return live.exited.promise;
  }

  // ---- pause, rename ------------------------------------------------------------------------

  async pause(ref: string): Promise<void> {
    const rec = this.store.get(ref);
    if (!rec.State.Running) throw conflict(`Container ${rec.ID} is not running`);
    if (rec.State.Paused) throw conflict(`Container ${rec.ID} is already paused`);
    await this.runtime.pause(rec.ID);
    rec.State.Paused = true;
    rec.State.Status = 'paused';
    this.store.save(rec);
    this.#emit(rec, 'pause');
  }

  async unpause(ref: string): Promise<void> {
    const rec = this.store.get(ref);
    if (!rec.State.Paused) throw conflict(`Container ${rec.ID} is not paused`);
    await this.runtime.resume(rec.ID);
    rec.State.Paused = false;
    rec.State.Status = 'running';
    this.store.save(rec);
    this.#emit(rec, 'unpause');
  }

  rename(ref: string, name: string): void {
    const rec = this.store.get(ref);
    if (!name) throw invalidArgument('Neither old nor new names may be empty');
    const old = rec.Name;
    const bare = name.startsWith('/') ? name.slice(1) : name;
    if (`/${bare}` === old)
      throw invalidArgument(`Renaming a container with the same name as its current name`);
    try {
      rec.Name = this.store.reserveName(`/${bare}`, rec.ID);
    } catch (err) {
      // dockerd's wording; the kind (409 for a name in use, 400 for a bad one) stays
      throw prefixed(err, 'Error when allocating new name: ');
    }
    this.store.releaseName(old, rec.ID);
    this.store.save(rec);
    this.#emit(rec, 'rename', { oldName: old });
  }

  // ---- attach -------------------------------------------------------------------------------

  /**
   * Joins a client stream to the container's stdio: output frames go to `stream` (multiplexed
   * unless the container has a tty), its input to the container's stdin. Resolves when the
   * stream ends (container exit, detach, or the client going away).
   */
  attach(ref: string, stream: Duplex, opts: AttachOptions): Promise<void> {
    const rec = this.store.get(ref);
    const live = this.live(rec.ID);
    const b = bridge(stream, {
      tty: rec.Config.Tty === true,
      stdin: opts.stdin,
      stdout: opts.stdout,
      stderr: opts.stderr,
      detachKeys: parseDetachKeys(opts.detachKeys || 'ctrl-p,ctrl-q'),
      closeStdinOnEnd: rec.Config.StdinOnce === true,
    });
    if (rec.State.Running) ShimConnection.connect(this.shimDir(rec.ID)).then(b.join, b.finish);
    else {
      live.pending.add(b);
      void b.done.then(() => live.pending.delete(b));
    }
    return b.done;
  }

  resize(ref: string, height: number, width: number): void {
    const rec = this.store.get(ref);
    if (!rec.State.Running) throw conflict(`Container ${rec.ID} is not running`);
    const conn = this.live(rec.ID).monitor;
    conn?.send(FRAME.RESIZE, `${height} ${width}`);
  }

  // ---- update, prune ------------------------------------------------------------------------

  /** `docker update`: new limits and restart policy, applied to the running cgroup at once. */
  async update(ref: string, body: HostConfig): Promise<{ Warnings: string[] }> {
    const rec = this.store.get(ref);
    const facts = { ...this.#createFacts(), networks: true };
    // as dockerd: the request's own values first (a discarded blkio weight is dropped from it),
    // then the change, then the result as a whole; the HostConfig alone, as dockerd checks an
    // update (its Config was checked at create, and has changed since: an image's volumes, the
    // hostname set for every container, a joined container's hostname)
    const config: ContainerConfig = {};
    const warnings = validateCreate(config, body, facts);
    let next: HostConfig;
    try {
      next = updateHostConfig(rec.HostConfig, body);
    } catch (err) {
      throw prefixed(err, `Cannot update container ${rec.ID}: `);
    }
    for (const w of validateCreate(config, next, facts)) if (!warnings.includes(w)) warnings.push(w);
    if (rec.State.Running) {
      const spec = buildSpec(
        { ...rec, HostConfig: next },
        { rootfs: this.rootfs(rec.ID), daemonRoot: this.#cfg.dataRoot, ...this.#joinedNamespaces(rec) },
      );
      const resources = { ...(spec.linux?.resources ?? {}) };
      delete resources.devices;
      try {
        this.runtime.cgroups.apply(rec.CgroupsPath, resources);
      } catch (err) {
        throw invalidArgument(`Cannot update container ${rec.ID}: ${(err as Error).message}`);
      }
    }
    rec.HostConfig = next;
    this.store.save(rec);
    this.#emit(rec, 'update');
    return { Warnings: warnings };
  }

  /** `docker container prune`: every stopped container (label and until filters). */
  async prune(filters: Filters): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    for (const key of Object.keys(filters))
      if (key !== 'label' && key !== 'label!' && key !== 'until')
        throw invalidArgument(`Invalid filter '${key}'`);
    const until = filters.until?.[0];
    const cutoff = until === undefined ? undefined : parseTimestampNs(until) / 1e6;
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const rec of this.store.all()) {
      if (rec.State.Running || rec.State.Restarting) continue;
      if (cutoff !== undefined && Date.parse(rec.Created) >= cutoff) continue;
      const labels = rec.Config.Labels;
      if (!matchLabels(labels, filters.label ?? [])) continue;
      if ((filters['label!'] ?? []).some((l) => matchLabels(labels, [l]))) continue;
      // what dockerd reclaims: the container's own layer as `ps -s` counts it (SizeRw)
      const size = (await this.sizes(rec)).rw;
      try {
        await this.remove(rec.ID, { force: false, volumes: false });
        deleted.push(rec.ID);
        reclaimed += size;
      } catch {
        // started meanwhile
      }
    }
    this.#events.publish(makeEvent('container', 'prune', '', { reclaimed: String(reclaimed) }));
    return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }

  /**
   * SizeRw (the container's own layer: with overlay, what its upper directory adds, as dockerd
   * counts it; with vfs, the blocks of its whole copy) and SizeRootFs (with the image's).
   */
  async sizes(rec: ContainerRecord): Promise<{ rw: number; rootFs: number }> {
    const key = `container-${rec.ID}`;
    const snapshots = this.#images.snapshots;
    let rw = 0;
    if (snapshots.has(key))
      rw =
        rec.Driver === 'overlay'
          ? await changesSize(snapshots.layerDirs(key).dir)
          : (await snapshots.usage(key)).size;
    const image = this.#images.store.resolve(rec.Image);
    return { rw, rootFs: rw + (image?.size ?? 0) };
  }

  // ---- queries ----------------------------------------------------------------------------

  #graphDriver(rec: ContainerRecord): { Name: string; Data: Record<string, string> | null } {
    const key = `container-${rec.ID}`;
    const name = dockerDriverName(rec.Driver);
    if (!this.#images.snapshots.has(key)) return { Name: name, Data: null };
    const { dir, lowers } = this.#images.snapshots.layerDirs(key);
    if (rec.Driver !== 'overlay') return { Name: name, Data: { Dir: dir } };
    return {
      Name: name,
      Data: {
        LowerDir: lowers.join(':'),
        MergedDir: this.rootfs(rec.ID),
        UpperDir: dir,
        WorkDir: join(dir, '..', 'work'),
      },
    };
  }

  inspect(ref: string, execIds: string[] = []) {
    const rec = this.#withFixedEndpoint(this.store.get(ref));
    return inspectContainer(rec, {
      graphDriver: this.#graphDriver(rec),
      execIds,
      daemonRoot: this.#cfg.dataRoot,
    });
  }

  /**
   * A container on the `host` or `none` network, as the API shows it: dockerd lists that
   * network's endpoint under NetworkSettings.Networks (no address; an endpoint ID while it
   * runs), where berth keeps no endpoint record for them.
   */
  #withFixedEndpoint(rec: ContainerRecord): ContainerRecord {
    if (Object.keys(rec.NetworkSettings?.Networks ?? {}).length) return rec;
    const fixed = this.networks?.fixedModeEndpoint(rec);
    if (!fixed) return rec;
    const [name, endpoint] = fixed;
    return {
      ...rec,
      NetworkSettings: { Ports: {}, SandboxKey: '', ...rec.NetworkSettings, Networks: { [name]: endpoint } },
    };
  }

  async list(opts: ListOptions) {
    const [out, imageName] = this.#listed(opts);
    const sizes = opts.size ? await Promise.all(out.map((rec) => this.sizes(rec))) : [];
    return out.map((rec, i) => summary(this.#withFixedEndpoint(rec), imageName(rec), sizes[i]));
  }

  /**
   * GET /containers/json's body: the JSON of list(), newline-terminated, from entries kept per
   * record (list.ts).
   */
  async listBody(opts: ListOptions): Promise<Buffer> {
    if (opts.size) return Buffer.from(`${JSON.stringify(await this.list(opts))}\n`);
    const [out, imageName] = this.#listed(opts);
    return this.#listCache.body(
      out,
      (id) => this.store.version(id),
      imageName,
      (rec) => this.#withFixedEndpoint(rec),
      this.store.count(),
    );
  }

  /** The records list() shows, and the image name it gives each. */
  #listed(opts: ListOptions): [ContainerRecord[], (rec: ContainerRecord) => string] {
    // worked out once per image and name given: containers of a list mostly share a few images
    // (by image, then name given: no key string built per container)
    const imageNames = new Map<string, Map<string, string>>();
    const imageName = (rec: ContainerRecord) => {
      const given = rec.Config.Image ?? rec.Image;
      let byGiven = imageNames.get(rec.Image);
      if (!byGiven) {
        byGiven = new Map();
        imageNames.set(rec.Image, byGiven);
      }
      let name = byGiven.get(given);
      if (name === undefined) {
        const img = this.#images.store.resolve(rec.Image);
        if (!img) name = rec.Image;
        else name = img.repoTags.length === 0 && given.startsWith('sha256:') ? rec.Image : given;
        byGiven.set(given, name);
      }
      return name;
    };
    const ctx = {
      imageMatches: (rec: ContainerRecord, ref: string) => {
        const img = this.#images.store.resolve(ref);
        return img ? img.id === rec.Image : false;
      },
      created: (ref: string) => this.store.find(ref)?.Created,
    };
    const filters = parseListFilters(opts.filters, ctx);
    let out = this.store.all().filter((rec) => matchesFilters(rec, filters, ctx));
    // a status filter lists stopped containers without -a (dockerd sets All for it), no other does
    const explicitStatus = (opts.filters.status ?? []).length > 0;
    if (!opts.all && opts.limit <= 0 && !explicitStatus) out = out.filter((rec) => rec.State.Running);
    if (opts.limit > 0) out = out.slice(0, opts.limit);
    return [out, imageName];
  }

  // ---- logs, top, stats ------------------------------------------------------------------

  /** The log as the API sends it: multiplexed frames, or raw with a tty; follows a live container. */
  logs(ref: string, q: LogsQuery, signal: AbortSignal): { tty: boolean; chunks: AsyncIterable<Buffer> } {
    const rec = this.store.get(ref);
    if (!rec.LogPath) throw notImplemented('configured logging driver does not support reading');
    const tty = rec.Config.Tty === true;
    const details = q.details
      ? Buffer.from(
          logDetails(this.#logOpts(rec), {
            id: rec.ID,
            name: rec.Name.slice(1),
            labels: rec.Config.Labels ?? {},
            env: rec.Config.Env ?? [],
            image: rec.Config.Image ?? '',
          }),
        )
      : undefined;
    const entries = readLogs(rec.LogPath, {
      stdout: q.stdout,
      stderr: q.stderr,
      since: q.since,
      until: q.until,
      tail: q.tail,
      follow: q.follow && (rec.State.Running || rec.State.Restarting),
      signal,
      done: this.wait(rec.ID, 'not-running'),
    });
    async function* chunks() {
      for await (const entry of entries)
        yield encodeLogEntry(entry, { timestamps: q.timestamps, tty, details });
    }
    return { tty, chunks: chunks() };
  }

  async top(ref: string, psArgs: string, signal: AbortSignal) {
    const rec = this.store.get(ref);
    if (!rec.State.Running) throw conflict(`Container ${rec.ID} is not running`);
    const top = await containerTop(this.runtime.cgroups.pids(rec.CgroupsPath), psArgs, { signal });
    this.#emit(rec, 'top');
    return top;
  }

  stats(ref: string, opts: { stream: boolean; oneShot: boolean; signal: AbortSignal }) {
    const rec = this.store.get(ref);
    const target = {
      id: rec.ID,
      name: rec.Name.slice(1),
      cgroupsPath: rec.CgroupsPath,
      // network figures from the container's namespace; with the host's, none (as dockerd)
      netnsPid: rec.HostConfig.NetworkMode === 'host' || !rec.State.Running ? undefined : rec.State.Pid,
    };
    return containerStats(this.runtime.cgroups, target, {
      ...opts,
      running: () => this.store.find(rec.ID)?.State.Running === true,
    });
  }

  // ---- adoption -----------------------------------------------------------------------------

  /** After a berthd (re)start: reconnect to running containers' shims, settle the others. */
  async adopt(): Promise<void> {
    // a removal cut short after the record went: the runtime's state, cgroups and run-time
    // directory of no container
    const known = new Set(this.store.all().map((rec) => rec.ID));
    for (const id of this.runtime.store.list())
      if (!known.has(id)) await this.runtime.delete(id, true).catch(() => {});
    // and its network namespace and veths (before any restart below makes new ones)
    await this.networks?.sweep(known).catch((err) => console.error(`berthd: ${(err as Error).message}`));
    const kept = new Set([...known].map((id) => this.shimDir(id)));
    const shimRoot = join(this.#cfg.execRoot, 'c');
    for (const dir of readdirSync(shimRoot).map((name) => join(shimRoot, name))) {
      if (kept.has(dir)) continue;
      this.#unmountRootfsAt(join(dir, 'rootfs'));
      rmSync(dir, { recursive: true, force: true });
    }
    for (const rec of this.store.all()) {
      if (rec.State.Status === 'removing') {
        await this.remove(rec.ID, { force: true, volumes: false }).catch(() => {});
        continue;
      }
      if (rec.State.Restarting) {
        // the restart berthd had decided (and counted) before it stopped is decided again
        rec.RestartCount = Math.max(0, rec.RestartCount - 1);
        rec.State.Restarting = false;
        rec.State.Status = 'exited';
        this.store.save(rec);
        this.#maybeRestart(rec);
        continue;
      }
      if (!rec.State.Running) {
        // a shim started at create (or for a start) that berthd never sent START
        endWaitingShim(this.shimDir(rec.ID));
        // an exit saved, and berthd gone before the clean-up after it: its namespace, veths and
        // addresses are still held
        if (rec.NetworkSettings?.SandboxKey) {
          await this.networks?.detach(rec).catch(() => {});
          this.store.save(rec);
        }
        continue;
      }
      const dir = this.shimDir(rec.ID);
      const exit = readExit(dir);
      if (exit) {
        await this.#exited(rec.ID, exit);
        continue;
      }
      try {
        const conn = await ShimConnection.connect(dir);
        const live = this.live(rec.ID);
        live.monitor = conn;
        this.#watch(rec.ID, conn);
      } catch {
        // no shim: did the process outlive it?
        const runtimeRec = this.runtime.store.exists(rec.ID) ? this.runtime.store.load(rec.ID) : undefined;
        if (runtimeRec && isAlive(runtimeRec.pid, runtimeRec.pidStart)) continue;
        await this.#exited(rec.ID, readExit(dir));
      }
    }
    for (const rec of this.store.all()) {
      const policy = rec.HostConfig.RestartPolicy?.Name;
      if (
        !rec.State.Running &&
        !rec.State.Restarting &&
        (policy === 'always' || (policy === 'unless-stopped' && !rec.ManuallyStopped))
      ) {
        if (rec.State.StartedAt === ZERO_TIME) continue;
        // as dockerd: an `always` container comes back when the daemon starts, even after a stop
        if (policy === 'always') rec.ManuallyStopped = false;
        this.#maybeRestart(rec);
      }
    }
  }

  /** berthd shutting down: connections close, containers keep running. */
  close(): void {
    this.#closing = true;
    void this.launcher.close();
    for (const [id, live] of this.#live) {
      live.monitor?.close();
      if (live.restartTimer) clearTimeout(live.restartTimer);
      void this.#dropEarlyShim(id);
    }
  }

  counts(): { total: number; running: number; paused: number; stopped: number } {
    let running = 0;
    let paused = 0;
    const all = this.store.all();
    for (const rec of all) {
      if (rec.State.Paused) paused++;
      else if (rec.State.Running) running++;
    }
    return { total: all.length, running, paused, stopped: all.length - running - paused };
  }
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
