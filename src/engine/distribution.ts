// Pull, push and login for the engine: registry clients configured from daemon.json
// (insecure-registries, registry-mirrors, certs.d, max-concurrent-downloads/-uploads) with one
// bearer-token cache, over the engine's image store and snapshotter. Knows nothing of HTTP
// requests from API clients: credentials arrive as an AuthConfig.

import { BerthError, invalidArgument, notFound, prefixed } from '../common/errors.ts';
import { type AuthConfig, RegistryClient, TokenCache } from '../distribution/client.ts';
import { DOCKER_HUB_AUTH_KEY, serverKey } from '../distribution/credentials.ts';
import type { RegistryHostsConfig } from '../distribution/hosts.ts';
import { type DistributionInspect, inspectDistribution } from '../distribution/inspect.ts';
import type { OnProgress } from '../distribution/progress.ts';
import { parsePlatform } from '../distribution/progress.ts';
import { pullImage } from '../distribution/pull.ts';
import { pushImage } from '../distribution/push.ts';
import {
  type SearchFilters,
  type SearchResult,
  searchPlan,
  searchRegistry,
  splitSearchTerm,
} from '../distribution/search.ts';
import { listTags } from '../distribution/tags.ts';
import { isDigest } from '../image/digest.ts';
import {
  familiarName,
  familiarString,
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

/** A tag as the reference grammar allows it. */
const TAG = /^[\w][\w.-]{0,127}$/;

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
    // (`pull -a` may send the name with a trailing colon)
    let ref = parseReference(req.image.replace(/:$/, ''));
    if (req.tag) {
      // the tag may be a digest; either replaces what the name carried, as dockerd does
      if (isDigest(req.tag)) ref = { ...ref, tag: undefined, digest: req.tag };
      else if (TAG.test(req.tag)) ref = { ...ref, tag: req.tag };
      else throw invalidArgument('invalid tag format');
    }
    const platform = req.platform ? parsePlatform(req.platform) : undefined;
    const client = this.client(ref.domain, req.auth);
    try {
      const refs: Reference[] =
        ref.tag || ref.digest
          ? [ref]
          : (await listTags(client, ref, req.signal)).map((tag) => ({ ...ref, tag }));
      const all = !ref.tag && !ref.digest;
      let updated = false;
      for (const r of refs) {
        const result = await pullImage(client, r, {
          store: this.#images.store,
          ...this.#images.layerOps(),
          platform,
          onProgress: emit,
          signal: req.signal,
          maxConcurrent: this.#config.maxConcurrentDownloads ?? 3,
          status: !all,
        });
        updated ||= result.updated;
        this.#images.publish({ action: 'pull', id: result.id, ref: formatReference(r) });
      }
      // every tag: one closing line for the repository, as dockerd writes it
      if (all)
        emit({
          status: `Status: ${updated ? 'Downloaded newer image' : 'Image is up to date'} for ${familiarName(ref)}`,
        });
    } catch (err) {
      const named =
        err instanceof Error && err.message.includes(familiarName(ref))
          ? err
          : naming(err, formatReference(ref), 'pulling');
      throw noLoginPrompt(named);
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
    if (req.tag) ref = { ...ref, tag: req.tag };
    const store = this.#images.store;
    const repo = repoName(ref);
    // dockerd streams this line first, then fails on what it cannot push (HTTP 200, error line)
    emit({ status: `The push refers to repository [${repo}]` });
    const known = store.referenceEntries().filter(([r]) => repoName(r) === repo);
    if (known.length === 0)
      throw notFound(`An image does not exist locally with the tag: ${familiarName(ref)}`);
    if (ref.digest) throw invalidArgument('cannot push a digest reference');
    const tags = ref.tag
      ? [ref.tag]
      : known
          .filter(([r]) => r.tag !== undefined && !r.digest)
          .map(([r]) => r.tag!)
          .sort();
    if (tags.length === 0) throw notFound(`no tags to push for ${familiarName(ref)}`);
    const images = tags.map((tag) => {
      const image = store.resolve(formatReference({ ...ref, tag }));
      if (!image) throw notFound(`tag does not exist: ${familiarString({ ...ref, tag })}`);
      return { tag, image };
    });
    const client = this.client(ref.domain, req.auth);
    try {
      // a registry that does not answer fails the push at once, before any layer (as dockerd)
      await client.endpoint(req.signal);
      for (const { tag, image } of images) {
        const full = store.get(image.id);
        const pushed = await pushImage(client, { ...ref, tag }, full, {
          store,
          layerTar: (chainId) => this.#images.snapshots.diff(chainId, req.signal),
          onProgress: emit,
          signal: req.signal,
          maxConcurrent: this.#config.maxConcurrentUploads ?? 5,
          compression: req.compression,
        });
        // as dockerd: the image is now known by its digest in that repository too (RepoDigests)
        store.addDigestRef(`${repo}@${pushed.digest}`, image.id);
        this.#images.publish({ action: 'push', id: image.id, ref: formatReference({ ...ref, tag }) });
      }
    } catch (err) {
      throw naming(err, repo, 'pushing');
    } finally {
      client.close();
    }
  }

  /** `GET /distribution/{name}/json`: the registry's descriptor and platforms for a reference. */
  async inspect(req: {
    name: string;
    auth?: AuthConfig;
    signal?: AbortSignal;
  }): Promise<DistributionInspect> {
    const parsed = parseReference(req.name);
    const ref = parsed.tag || parsed.digest ? parsed : { ...parsed, tag: 'latest' };
    const client = this.client(ref.domain, req.auth);
    try {
      return await inspectDistribution(client, ref, req.signal);
    } catch (err) {
      throw noLoginPrompt(err);
    } finally {
      client.close();
    }
  }

  /** `GET /images/search`: the v1 search of Docker Hub or of the registry the term names. */
  async search(req: {
    term: string;
    limit: number;
    filters: SearchFilters;
    auth?: AuthConfig;
    signal?: AbortSignal;
  }): Promise<SearchResult[]> {
    const plan = searchPlan(req.limit, req.filters);
    const { domain, query } = splitSearchTerm(req.term);
    const client = this.client(domain, req.auth);
    try {
      return await searchRegistry(client, query, plan, req.signal);
    } catch (err) {
      // dockerd answers a registry it cannot reach with 500 and Go's words
      if (err instanceof BerthError && err.kind === 'Unavailable')
        throw new BerthError('Internal', err.message, { cause: err });
      throw err;
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
  return prefixed(err, `${verb} ${name}: `);
}

/**
 * dockerd never answers a pull (or a distribution inspect) with 401: the docker CLI would prompt
 * for a login and retry. An Unauthorized error becomes an Internal one with the same words.
 */
function noLoginPrompt(err: unknown): unknown {
  if (err instanceof BerthError && err.kind === 'Unauthorized')
    return new BerthError('Internal', err.message, { cause: err });
  return err;
}

/** The registry domain of a login server address: `https://host:5000/v2/` → host:5000. */
export function loginDomain(server: string): string {
  const key = serverKey(server);
  return key === DOCKER_HUB_AUTH_KEY ? 'docker.io' : key;
}
