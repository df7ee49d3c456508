// Image manifests, indexes and configs: OCI image spec v1.1 and Docker image manifest v2 schema 2.

import { goArch } from '../common/platform.ts';
import type {
  ContainerConfig as ApiContainerConfig,
  HealthConfig as ApiHealthConfig,
} from '../spec/docker/api.ts';

export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayer: 'application/vnd.oci.image.layer.v1.tar',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  OciLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OciLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  DockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DockerLayerZstd: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
  DockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

export const isIndexMediaType = (m: string | undefined) =>
  m === MediaType.OciIndex || m === MediaType.DockerManifestList;
export const isManifestMediaType = (m: string | undefined) =>
  m === MediaType.OciManifest || m === MediaType.DockerManifest;

export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
export const ANNOTATION_CONTAINERD_NAME = 'io.containerd.image.name';

export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** A healthcheck as images store it: Test is always a list. */
export type HealthConfig = Omit<ApiHealthConfig, 'Test'> & { Test?: string[] };

/**
 * The `config` of an image config: the OCI fields plus the rest of Docker's container.Config,
 * which Docker writes into the images it makes (src/spec/docker/api.ts), with lists where the
 * API also takes a single string.
 */
export type ContainerConfig = Omit<
  ApiContainerConfig,
  'Cmd' | 'Entrypoint' | 'Shell' | 'Healthcheck' | 'StopTimeout'
> & {
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  Shell?: string[];
  Healthcheck?: HealthConfig;
  StopTimeout?: number;
};

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The image config (OCI "application/vnd.oci.image.config.v1+json", Docker's image JSON). */
export interface ImageConfig {
  id?: string;
  parent?: string;
  comment?: string;
  created?: string;
  container?: string;
  container_config?: ContainerConfig;
  docker_version?: string;
  author?: string;
  config?: ContainerConfig;
  architecture: string;
  variant?: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
}

/** One entry of a docker-archive `manifest.json`. */
export interface ArchiveManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
  LayerSources?: Record<string, Descriptor>;
}

/** The host's platform in OCI terms. */
export function hostPlatform(): Platform {
  return { os: 'linux', architecture: goArch() };
}
