// Pull, push and login for the engine: registry clients configured from daemon.json
// (insecure-registries, registry-mirrors, certs.d, max-concurrent-downloads/-uploads) with one
// bearer-token cache, over the engine's image store and snapshotter. Knows nothing of HTTP
// requests from API clients: credentials arrive as an AuthConfig.

import { BerthError, invalidArgument, notFound } from '../common/errors.ts';
import { type AuthConfig, RegistryClient, TokenCache } from '../distribution/client.ts';
import { DOCKER_HUB_AUTH_KEY, serverKey } from '../distribution/credentials.ts';
import type { RegistryHostsConfig } from '../distribution/hosts.ts';
import type { OnProgress } from '../distribution/progress.ts';
import { parsePlatform } from '../distribution/progress.ts';
import { pullImage } from '../distribution/pull.ts';
import { pushImage } from '../distribution/push.ts';
import { listTags } from '../distribution/tags.ts';
import { isDigest } from '../image/digest.ts';
import {
  familiarName,
  formatReference,
  parseReference,
  type Reference,
  repoName,
} from '../image/reference.ts';
import type { EngineConfig } from './engine.ts';
import type { Images } from './images.ts';

export interface PullRequest {
  /** `busybox`, `busybox:1`, `host:5000/x@sha256:…` */
  image: string;
  /** A tag or a digest; with neither here nor in `image`, every tag is pulled (docker pull -a). */
  tag?: string;
  platform?: string;
  auth?: AuthConfig;
  signal?: AbortSignal;
}

export class Distribution {
  readonly #images: Images;
  readonly #config: EngineConfig;
  readonly #tokens = new TokenCache();

  constructor(images: Images, config: EngineConfig) {
    this.#images = images;
    this.#config = config;
  }

  get hosts(): RegistryHostsConfig {
    return {
      insecureRegistries: this.#config.insecureRegistries,
      registryMirrors: this.#config.registryMirrors,
      certsDir: this.#config.certsDir,
    };
  }

  client(domain: string, auth?: AuthConfig): RegistryClient {
    return new RegistryClient(domain, this.hosts, { auth, tokens: this.#tokens });
  }

  /** `docker pull`: progress as Docker's JSON messages. */
  async pull(req: PullRequest, emit: OnProgress): Promise<void> {
    let ref = parseReference(req.image);
    if (req.tag) {
      if (ref.tag || ref.digest)
        throw invalidArgument(`invalid reference: ${req.image} already names a tag or digest`);
      ref = isDigest(req.tag) ? { ...ref, digest: req.tag } : { ...ref, tag: req.tag };
    }
    const platform = req.platform ? parsePlatform(req.platform) : undefined;
    const client = this.client(ref.domain, req.auth);
    try {
      const refs: Reference[] =
        ref.tag || ref.digest
          ? [ref]
          : (await listTags(client, ref, req.signal)).map((tag) => ({ ...ref, tag }));
      for (const r of refs) {
        const result = await pullImage(client, r, {
          store: this.#images.store,
          ...this.#images.layerOps(),
          platform,
          onProgress: emit,
          signal: req.signal,
          maxConcurrent: this.#config.maxConcurrentDownloads ?? 3,
        });
        this.#images.publish({ action: 'pull', id: result.id, ref: formatReference(r) });
      }
    } catch (err) {
      throw naming(err, formatReference(ref), 'pulling');
    } finally {
      client.close();
    }
  }

  /** `docker push`: every tag of the repository when the request names none. */
  async push(
    req: {
      name: string;
      tag?: string;
      auth?: AuthConfig;
      compression?: 'gzip' | 'zstd';
      signal?: AbortSignal;
    },
    emit: OnProgress,
  ): Promise<void> {
    let ref = parseReference(req.name);
    if (ref.digest) throw invalidArgument(`cannot push a digest reference: ${req.name}`);
    if (req.tag) ref = { ...ref, tag: req.tag };
    const store = this.#images.store;
    const repo = repoName(ref);
    const tags = ref.tag
      ? [ref.tag]
      : store
          .referenceEntries()
          .filter(([r]) => repoName(r) === repo && r.tag !== undefined && !r.digest)
          .map(([r]) => r.tag!)
          .sort();
    if (tags.length === 0)
      throw notFound(`An image does not exist locally with the tag: ${familiarName(ref)}`);
    const images = tags.map((tag) => {
      const image = store.resolve(formatReference({ ...ref, tag }));
      if (!image) throw notFound(`An image does not exist locally with the tag: ${familiarName(ref)}`);
      return { tag, image };
    });
    const client = this.client(ref.domain, req.auth);
    try {
      emit({ status: `The push refers to repository [${repo}]` });
      for (const { tag, image } of images) {
        const full = store.get(image.id);
        await pushImage(client, { ...ref, tag }, full, {
          store,
          layerTar: (chainId) => this.#images.snapshots.diff(chainId, req.signal),
          onProgress: emit,
          signal: req.signal,
          maxConcurrent: this.#config.maxConcurrentUploads ?? 5,
          compression: req.compression,
        });
        this.#images.publish({ action: 'push', id: image.id, ref: formatReference({ ...ref, tag }) });
      }
    } catch (err) {
      throw naming(err, repo, 'pushing');
    } finally {
      client.close();
    }
  }

  /** `POST /auth`: checks the credentials against the registry. */
  async login(auth: AuthConfig, signal?: AbortSignal): Promise<{ Status: string; IdentityToken: string }> {
    const domain = loginDomain(auth.serveraddress || DOCKER_HUB_AUTH_KEY);
    const client = this.client(domain, auth);
    try {
      await client.login(signal);
    } finally {
      client.close();
    }
    return { Status: 'Login Succeeded', IdentityToken: '' };
  }
}

/** An error that does not name the image gets its name: `pulling host:5000/x:1: Get "…": …`. */
function naming(err: unknown, name: string, verb: string): unknown {
  if (!(err instanceof BerthError) || err.message.includes(name)) return err;
  return new BerthError(err.kind, `${verb} ${name}: ${err.message}`, { cause: err });
}

/** The registry domain of a login server address: `https://host:5000/v2/` → host:5000. */
export function loginDomain(server: string): string {
  const key = serverKey(server);
  return key === DOCKER_HUB_AUTH_KEY ? 'docker.io' : key;
}
