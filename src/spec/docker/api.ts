// The body of `POST /containers/create` in the Docker Engine API 1.45 (moby api/types/container
// Config, HostConfig, Resources and api/types/mount Mount), as plain JSON types. Field names are
// Docker's. Clients send `null` for many empty lists and maps, and a few list fields also accept a
// single string (Go's StrSlice), so those are typed loosely and normalized where they are read.

/** `Cmd`, `Entrypoint`, `Shell`, `Healthcheck.Test`: a JSON array of strings, or one string. */
export type StrSlice = string[] | string | null;

/** Durations are integer nanoseconds. */
export interface HealthConfig {
  Test?: StrSlice;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** `Config` of the create body (also what `GET /containers/{id}/json` shows as `Config`). */
export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  /** `"80/tcp": {}` */
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: StrSlice;
  Healthcheck?: HealthConfig | null;
  ArgsEscaped?: boolean;
  Image?: string;
  /** Anonymous volumes: `"/data": {}` */
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: StrSlice;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  /** Seconds. */
  StopTimeout?: number | null;
  Shell?: StrSlice;
}

/** The fields of an image's config (`config` of the image JSON) that decide how a container runs. */
export type ImageRunConfig = Pick<
  ContainerConfig,
  | 'User'
  | 'ExposedPorts'
  | 'Env'
  | 'Cmd'
  | 'Entrypoint'
  | 'Healthcheck'
  | 'ArgsEscaped'
  | 'Volumes'
  | 'WorkingDir'
  | 'Labels'
  | 'StopSignal'
  | 'OnBuild'
  | 'Shell'
>;

export interface RestartPolicy {
  /** '' | 'no' | 'always' | 'unless-stopped' | 'on-failure' */
  Name?: string;
  MaximumRetryCount?: number;
}

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export interface LogConfig {
  Type?: string;
  Config?: Record<string, string> | null;
}

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer?: string;
  /** Any of r, w, m; default rwm. */
  CgroupPermissions?: string;
}

export interface DeviceRequest {
  Driver?: string;
  Count?: number;
  DeviceIDs?: string[] | null;
  Capabilities?: string[][] | null;
  Options?: Record<string, string> | null;
}

export interface Ulimit {
  /** `nofile`, `nproc`, … (without RLIMIT_). */
  Name: string;
  /** -1 = unlimited. */
  Soft: number;
  Hard: number;
}

export interface WeightDevice {
  Path: string;
  Weight: number;
}

export interface ThrottleDevice {
  Path: string;
  Rate: number;
}

export type MountType = 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster' | 'image';

/** One entry of `HostConfig.Mounts` (`--mount`). */
export interface Mount {
  Type?: MountType | string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  /** default | consistent | cached | delegated; no effect on Linux. */
  Consistency?: string;
  BindOptions?: {
    Propagation?: string;
    NonRecursive?: boolean;
    CreateMountpoint?: boolean;
    ReadOnlyNonRecursive?: boolean;
    ReadOnlyForceRecursive?: boolean;
  } | null;
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string> | null;
    DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null;
    Subpath?: string;
  } | null;
  TmpfsOptions?: {
    /** Bytes. */
    SizeBytes?: number;
    /** Permission bits as a number (0o1777). */
    Mode?: number;
    /** `[["noexec"]]`, `[["exec"]]` (API 1.46). */
    Options?: string[][] | null;
  } | null;
}

/** The resource fields embedded in HostConfig (also the body of `POST /containers/{id}/update`). */
export interface Resources {
  CpuShares?: number;
  /** Bytes. */
  Memory?: number;
  /** CPUs × 10⁹. */
  NanoCpus?: number;
  CgroupParent?: string;
  BlkioWeight?: number;
  BlkioWeightDevice?: WeightDevice[] | null;
  BlkioDeviceReadBps?: ThrottleDevice[] | null;
  BlkioDeviceWriteBps?: ThrottleDevice[] | null;
  BlkioDeviceReadIOps?: ThrottleDevice[] | null;
  BlkioDeviceWriteIOps?: ThrottleDevice[] | null;
  /** Microseconds. */
  CpuPeriod?: number;
  /** Microseconds. */
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  /** `0-3,7` */
  CpusetCpus?: string;
  CpusetMems?: string;
  Devices?: DeviceMapping[] | null;
  /** `c 1:3 rwm`, `b *:* m`, `a` */
  DeviceCgroupRules?: string[] | null;
  DeviceRequests?: DeviceRequest[] | null;
  /** Deprecated; ignored from API 1.42. */
  KernelMemory?: number;
  KernelMemoryTCP?: number;
  MemoryReservation?: number;
  /** Memory + swap in bytes; -1 = unlimited swap; 0 = twice Memory. */
  MemorySwap?: number;
  /** 0..100; -1 or null = unset. */
  MemorySwappiness?: number | null;
  OomKillDisable?: boolean | null;
  /** null = unset; 0 or -1 = unlimited. */
  PidsLimit?: number | null;
  Ulimits?: Ulimit[] | null;
  /** Windows only. */
  CpuCount?: number;
  CpuPercent?: number;
  IOMaximumIOps?: number;
  IOMaximumBandwidth?: number;
}

export interface HostConfig extends Resources {
  /** `/host:/ctr[:opts]` or `name:/ctr[:opts]` (`-v`). */
  Binds?: string[] | null;
  ContainerIDFile?: string;
  LogConfig?: LogConfig | null;
  /** `default` | `bridge` | `host` | `none` | `container:<name|id>` | a network name. */
  NetworkMode?: string;
  /** `"80/tcp": [{HostIp, HostPort}]` */
  PortBindings?: Record<string, PortBinding[] | null> | null;
  RestartPolicy?: RestartPolicy | null;
  AutoRemove?: boolean;
  VolumeDriver?: string;
  VolumesFrom?: string[] | null;
  /** [height, width] */
  ConsoleSize?: [number, number] | number[] | null;
  Annotations?: Record<string, string> | null;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  /** '' | 'private' | 'host' */
  CgroupnsMode?: string;
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  /** `name:ip`, `name=ip`, `name:host-gateway` */
  ExtraHosts?: string[] | null;
  GroupAdd?: string[] | null;
  /** '' | 'none' | 'private' | 'shareable' | 'host' | 'container:<name|id>' */
  IpcMode?: string;
  Cgroup?: string;
  Links?: string[] | null;
  OomScoreAdj?: number;
  /** '' | 'host' | 'container:<name|id>' */
  PidMode?: string;
  Privileged?: boolean;
  PublishAllPorts?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  StorageOpt?: Record<string, string> | null;
  /** `"/run": "rw,noexec,size=64m"` */
  Tmpfs?: Record<string, string> | null;
  /** '' | 'host' */
  UTSMode?: string;
  /** '' | 'host' */
  UsernsMode?: string;
  /** Bytes; 0 = 64 MiB. */
  ShmSize?: number;
  Sysctls?: Record<string, string> | null;
  Runtime?: string;
  /** '' | 'default' on Linux. */
  Isolation?: string;
  /** When not null, replace Docker's default masked / read-only paths. */
  MaskedPaths?: string[] | null;
  ReadonlyPaths?: string[] | null;
  /** null = the daemon's default. */
  Init?: boolean | null;
  Mounts?: Mount[] | null;
}

/** `POST /containers/create`: Config fields at the top level plus HostConfig and NetworkingConfig. */
export interface ContainerCreateBody extends ContainerConfig {
  HostConfig?: HostConfig | null;
  NetworkingConfig?: { EndpointsConfig?: Record<string, unknown> | null } | null;
}
