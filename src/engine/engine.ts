// The engine: the composition root behind the Engine API. It knows nothing of HTTP (HABITS 6):
// the API layer calls these methods and maps their errors. Images, containers, networks and
// volumes join here as they are built.

import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, hostname, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { makeEvent } from '../common/events.ts';
import { goArch } from '../common/platform.ts';
import { detectCgroupLayout } from '../runtime/cgroups/detect.ts';
import { Containers } from './containers/containers.ts';
import { Execs } from './containers/execs.ts';
import { HealthMonitors } from './containers/health.ts';
import { BERTH_INIT } from './containers/spec.ts';
import { Distribution } from './distribution.ts';
import { EventBus } from './events.ts';
import { dockerDriverName, Images } from './images.ts';
import { NetworkDns } from './networks/dns.ts';
import { Networks } from './networks/networks.ts';

export const API_VERSION = '1.45';
export const MIN_API_VERSION = '1.24';
export const ENGINE_VERSION = '0.1.0';

export interface EngineConfig {
  dataRoot: string;
  execRoot: string;
  storageDriver: 'overlay' | 'vfs';
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  labels: string[];
  debug: boolean;
  insecureRegistries: string[];
  registryMirrors: string[];
  /** daemon.json max-concurrent-downloads / -uploads (default 3 / 5) */
  maxConcurrentDownloads?: number;
  maxConcurrentUploads?: number;
  /** Per-registry CAs, as Docker's /etc/docker/certs.d (default /etc/berth/certs.d) */
  certsDir?: string;
  /** daemon.json `bridge` (-b): the default bridge network's Linux bridge (default berth0) */
  bridge?: string;
  /** daemon.json `bip`: the default bridge's gateway address and prefix */
  bip?: string;
  /** daemon.json `ip`: the host address published ports bind to by default */
  ip?: string;
  /** daemon.json log-opts: defaults for every container's json-file log */
  logOpts?: Record<string, string>;
  /** daemon.json `init`: run an init in containers that do not say (HostConfig.Init null) */
  init?: boolean;
  /** daemon.json `init-path`: the init binary (default native/build/berth-init) */
  initPath?: string;
}

const UNAME_ARCH: Record<string, string> = {
  x64: 'x86_64',
  arm64: 'aarch64',
  ia32: 'i686',
  arm: 'armv7l',
  s390x: 's390x',
  ppc64: 'ppc64le',
};

function osRelease(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

/** A stable daemon ID, kept in the data root (Docker's engine-id). */
function engineId(dataRoot: string): string {
  const file = join(dataRoot, 'engine-id');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const id = randomUUID();
  writeFileSync(file, id, { mode: 0o600 });
  return id;
}

export class Engine {
  readonly config: EngineConfig;
  readonly events: EventBus;
  readonly id: string;
  readonly started = new Date();
  readonly images: Images;
  readonly distribution: Distribution;
  readonly containers: Containers;
  readonly execs: Execs;
  readonly health: HealthMonitors;
  readonly networks: Networks;
  readonly networkDns: NetworkDns;

  private constructor(config: EngineConfig, events: EventBus, images: Images, id: string) {
    this.config = config;
    this.events = events;
    this.images = images;
    this.distribution = new Distribution(images, config);
    this.id = id;
    this.containers = new Containers(
      {
        dataRoot: config.dataRoot,
        execRoot: config.execRoot,
        logOpts: config.logOpts,
        init: config.init,
        initPath: config.initPath,
      },
      images,
      events,
    );
    this.execs = new Execs(this.containers, events);
    this.health = new HealthMonitors({
      store: this.containers.store,
      events,
      probe: (id, cmd, timeoutMs) => this.execs.runProbe(id, cmd, timeoutMs),
    });
    this.containers.health = this.health;
    this.networks = new Networks(
      {
        dataRoot: config.dataRoot,
        execRoot: config.execRoot,
        bridge: config.bridge ?? 'berth0',
        bip: config.bip,
        defaultBindIp: config.ip,
      },
      this.containers.store,
      events,
    );
    this.containers.networks = this.networks;
    this.networkDns = new NetworkDns(this.networks, (m) => console.error(`berthd: ${m}`));
    images.inUse = (imageId) => this.containers.imageUser(imageId);
  }

  /** Re-adopts the containers that ran before this berthd started. */
  async adopt(): Promise<void> {
    await this.networks.init();
    await this.networks.restore();
    await this.containers.adopt();
    this.health.adopt(this.containers.store.all());
  }

  /** berthd is going away: drop connections; containers keep running. */
  close(): void {
    this.health.close();
    this.containers.close();
    void this.networkDns.close();
  }

  static async create(config: EngineConfig, events = new EventBus()): Promise<Engine> {
    mkdirSync(config.dataRoot, { recursive: true, mode: 0o711 });
    mkdirSync(config.execRoot, { recursive: true, mode: 0o700 });
    const images = await Images.open(config.dataRoot, events, config.storageDriver);
    const engine = new Engine(config, events, images, engineId(config.dataRoot));
    await engine.adopt();
    return engine;
  }

  /** Applies a reloaded configuration (SIGHUP) and emits Docker's `daemon reload` event. */
  reload(changes: Partial<Pick<EngineConfig, 'labels' | 'logLevel' | 'debug'>>): void {
    Object.assign(this.config, changes);
    this.events.publish(
      makeEvent('daemon', 'reload', this.id, {
        name: hostname(),
        labels: JSON.stringify(this.config.labels),
        debug: String(this.config.debug),
      }),
    );
  }

  version() {
    const details = {
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: '',
      GoVersion: `node ${process.version}`,
      Os: 'linux',
      Arch: goArch(),
      KernelVersion: release(),
      BuildTime: '',
    };
    return {
      Platform: { Name: 'berth' },
      Components: [
        { Name: 'Engine', Version: ENGINE_VERSION, Details: { ...details, Experimental: 'false' } },
      ],
      Version: ENGINE_VERSION,
      ...details,
    };
  }

  info() {
    const layout = detectCgroupLayout();
    const counts = this.containers.counts();
    return {
      ID: this.id,
      Containers: counts.total,
      ContainersRunning: counts.running,
      ContainersPaused: counts.paused,
      ContainersStopped: counts.stopped,
      Images: this.images.count(),
      // the name dockerd gives the same driver, as GraphDriver.Name does
      Driver: dockerDriverName(this.config.storageDriver),
      DriverStatus: [['Backing Filesystem', 'extfs']],
      Plugins: {
        Volume: ['local'],
        Network: ['bridge', 'host', 'null'],
        Authorization: null,
        Log: ['json-file'],
      },
      MemoryLimit: true,
      SwapLimit: layout.version === 2 || existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'),
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: true,
      Debug: this.config.debug,
      NFd: 0,
      OomKillDisable: layout.version === 1,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: 'json-file',
      CgroupDriver: 'cgroupfs',
      CgroupVersion: String(layout.version),
      NEventsListener: this.events.listeners,
      KernelVersion: release(),
      OperatingSystem: osRelease(),
      OSVersion: '',
      OSType: 'linux',
      Architecture: UNAME_ARCH[process.arch] ?? arch(),
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: {
        InsecureRegistryCIDRs: ['127.0.0.0/8', '::1/128'],
        IndexConfigs: {},
        Mirrors: this.config.registryMirrors,
      },
      NCPU: cpus().length,
      MemTotal: totalmem(),
      GenericResources: null,
      DockerRootDir: this.config.dataRoot,
      HttpProxy: process.env.HTTP_PROXY ?? '',
      HttpsProxy: process.env.HTTPS_PROXY ?? '',
      NoProxy: process.env.NO_PROXY ?? '',
      Name: hostname(),
      Labels: this.config.labels,
      ExperimentalBuild: false,
      ServerVersion: ENGINE_VERSION,
      Runtimes: { berth: { path: 'berth-runtime' }, runc: { path: 'runc' } },
      DefaultRuntime: 'berth',
      Swarm: {
        NodeID: '',
        NodeAddr: '',
        LocalNodeState: 'inactive',
        ControlAvailable: false,
        Error: '',
        RemoteManagers: null,
      },
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: this.config.initPath ?? BERTH_INIT,
      ContainerdCommit: { ID: '', Expected: '' },
      RuncCommit: { ID: '', Expected: '' },
      InitCommit: { ID: '', Expected: '' },
      SecurityOptions: ['name=seccomp,profile=builtin', ...(layout.version === 2 ? ['name=cgroupns'] : [])],
      CDISpecDirs: [],
      Warnings: [],
    };
  }

  async diskUsage(apiVersion: number) {
    const containers = await this.containers.list({ all: true, limit: -1, size: true, filters: {} });
    return { ...this.images.diskUsage(apiVersion), Containers: containers, Volumes: [], BuildCache: [] };
  }
}
