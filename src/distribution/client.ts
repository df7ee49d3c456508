// A client of one registry (the /v2/ API of the OCI distribution spec) for one set of
// credentials: picks the endpoint (mirrors, HTTPS, HTTP for insecure registries) with a /v2/
// ping, answers 401 challenges with a bearer token (Docker Hub's token flow, tokens cached by
// scope until they expire) or basic auth, and turns failures into errors that name the registry.

import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, STATUS_CODES } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { BerthError, type ErrorKind, unavailable } from '../common/errors.ts';
import { slabGet } from './blob-reader.ts';
import { type Challenge, parseChallenges } from './challenge.ts';
import { DOCKER_HUB_HOST, type Endpoint, endpointsFor, type RegistryHostsConfig } from './hosts.ts';

/** Docker Hub's v1 index (search). */
const DOCKER_HUB_INDEX = 'index.docker.io';

/** Credentials as X-Registry-Auth, POST /auth and config.json carry them. */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64 of user:password, as config.json stores it */
  auth?: string;
  identitytoken?: string;
  registrytoken?: string;
  serveraddress?: string;
}

export interface RegistryResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** node:http's IncomingMessage, or (`slabs`) an object-mode stream of views of slabs. */
  body: IncomingMessage | Readable;
  url: URL;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: Buffer | (() => Readable);
  /** Token scopes the request needs (`repository:x:pull`). */
  scopes?: readonly string[];
  signal?: AbortSignal;
  /** Follow 3xx (blob downloads from storage backends): default true for GET and HEAD. */
  follow?: boolean;
  /**
   * A plain-HTTP GET reads its body into reused slabs (blob-reader.ts; blob downloads, whose
   * consumer releases what it is given): each response, redirects included, that is http: and
   * GET. HTTPS and everything else go through node:http as always.
   */
  slabs?: boolean;
}

/** Bearer tokens by realm, service, scopes and user. */
export class TokenCache {
  readonly #tokens = new Map<string, { token: string; expires: number }>();
  get(key: string): string | undefined {
    const t = this.#tokens.get(key);
    if (t && t.expires > Date.now()) return t.token;
    this.#tokens.delete(key);
    return undefined;
  }
  set(key: string, token: string, seconds: number): void {
    // refresh a little early, so a token does not expire between the check and the request
    this.#tokens.set(key, { token, expires: Date.now() + Math.max(10, seconds - 5) * 1000 });
  }
}

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 32 });
const USER_AGENT = 'berth/0.1.0';

/** An error of the registry's own (`{"errors":[{"code","message"}]}`), with Docker's wording. */
export class RegistryError extends BerthError {
  readonly status: number;
  readonly code: string | undefined;
  /** what the registry said, without what we were doing: `unauthorized: authentication required` */
  readonly detail: string;
  constructor(kind: ErrorKind, status: number, message: string, code?: string, detail?: string) {
    super(kind, message);
    this.status = status;
    this.code = code;
    this.detail = detail ?? message;
  }
}

const KIND: Record<number, ErrorKind> = {
  400: 'InvalidArgument',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'NotImplemented',
  409: 'Conflict',
  429: 'Unavailable',
  503: 'Unavailable',
};

async function readAll(body: Readable, limit = 8 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += (c as Buffer).length;
    if (n > limit) {
      body.destroy();
      throw new RegistryError('InvalidArgument', 0, `response larger than ${limit} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The error of a non-2xx response, its body read: `manifest unknown: manifest unknown`. */
export async function responseError(res: RegistryResponse, what: string): Promise<RegistryError> {
  let text = '';
  try {
    text = (await readAll(res.body, 1 << 20)).toString('utf8');
  } catch {}
  let detail = '';
  let code: string | undefined;
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[]; details?: string };
    const errs = body.errors ?? [];
    if (errs.length) {
      code = errs[0].code;
      detail = errs
        .map((e) => `${(e.code ?? 'unknown').toLowerCase().replace(/_/g, ' ')}: ${e.message ?? ''}`)
        .join(', ');
    } else if (typeof body.details === 'string' && body.details) {
      // older token servers: {"details": "incorrect username or password"}
      code = res.status === 401 ? 'UNAUTHORIZED' : res.status === 429 ? 'TOOMANYREQUESTS' : 'UNKNOWN';
      detail = `${code.toLowerCase()}: ${body.details}`;
    }
  } catch {}
  // a bearer challenge's error (RFC 6750) says it first: a token without the scope is a denial
  const oauth = parseChallenges(res.headers['www-authenticate']).find(
    (c) =>
      c.scheme === 'bearer' &&
      (c.params.error === 'insufficient_scope' || c.params.error === 'invalid_token'),
  );
  if (oauth && res.status >= 400 && res.status < 500) {
    const denied = oauth.params.error === 'insufficient_scope';
    code = denied ? 'DENIED' : 'UNAUTHORIZED';
    const message =
      oauth.params.error_description ||
      (denied ? 'requested access to the resource is denied' : 'authentication required');
    detail = `${denied ? 'denied' : 'unauthorized'}: ${message}`;
  }
  if (!detail) {
    if (res.status === 401) detail = 'unauthorized: authentication required';
    else if (res.status === 429) detail = 'toomanyrequests: too many requests';
    else detail = `unexpected status ${res.status}${text && text.length < 200 ? `: ${text.trim()}` : ''}`;
  }
  if (res.status === 429) {
    const retry = res.headers['retry-after'];
    if (retry) detail += ` (retry after ${retry}s)`;
  }
  return new RegistryError(KIND[res.status] ?? 'Internal', res.status, `${what}: ${detail}`, code, detail);
}

export class RegistryClient {
  readonly domain: string;
  readonly #cfg: RegistryHostsConfig;
  readonly #auth: AuthConfig | undefined;
  readonly #tokens: TokenCache;
  #endpoint: Promise<{ endpoint: Endpoint; challenge: Challenge | undefined }> | undefined;
  readonly #agents = new Map<string, https.Agent>();

  constructor(
    domain: string,
    cfg: RegistryHostsConfig,
    opts: { auth?: AuthConfig; tokens?: TokenCache } = {},
  ) {
    this.domain = domain;
    this.#cfg = cfg;
    this.#auth = normaliseAuth(opts.auth);
    this.#tokens = opts.tokens ?? new TokenCache();
  }

  /** The endpoint that answered /v2/, and the challenge it gave (if any). */
  endpoint(signal?: AbortSignal): Promise<{ endpoint: Endpoint; challenge: Challenge | undefined }> {
    this.#endpoint ??= this.#ping(signal);
    this.#endpoint.catch(() => (this.#endpoint = undefined));
    return this.#endpoint;
  }

  async #ping(signal?: AbortSignal) {
    const endpoints = endpointsFor(this.domain, this.#cfg);
    let lastError: unknown;
    for (const endpoint of endpoints) {
      const url = new URL(`${endpoint.url}/v2/`);
      try {
        const res = await this.#send(endpoint, 'GET', url, {}, undefined, signal);
        if (res.status === 200 || res.status === 401) {
          res.body.resume();
          const challenge = res.status === 401 ? pickChallenge(res.headers['www-authenticate']) : undefined;
          return { endpoint, challenge };
        }
        lastError = await responseError({ ...res, url }, `Get "${url}"`);
      } catch (err) {
        if (signal?.aborted) throw err;
        lastError = err;
      }
    }
    throw lastError;
  }

  /** Does one request to `path` (`/v2/…`) or an absolute URL (upload locations), with auth. */
  async request(method: string, path: string | URL, opts: RequestOptions = {}): Promise<RegistryResponse> {
    const { endpoint, challenge } = await this.endpoint(opts.signal);
    const url = typeof path === 'string' ? new URL(path, endpoint.url) : path;
    let headers = { ...opts.headers, ...(await this.#authHeader(challenge, opts.scopes ?? [], opts.signal)) };
    const slabs = opts.slabs === true && method === 'GET' && opts.body === undefined;
    let res = await this.#send(endpoint, method, url, headers, opts.body, opts.signal, slabs);
    if (res.status === 401) {
      // a scope not in the cached token, or an expired one: answer this challenge and retry once
      const fresh = pickChallenge(res.headers['www-authenticate']) ?? challenge;
      if (fresh && (this.#auth || fresh.scheme === 'bearer')) {
        res.body.resume();
        headers = {
          ...opts.headers,
          ...(await this.#authHeader(fresh, opts.scopes ?? [], opts.signal, true)),
        };
        res = await this.#send(endpoint, method, url, headers, opts.body, opts.signal, slabs);
      }
    }
    const follow = opts.follow ?? (method === 'GET' || method === 'HEAD');
    for (let hops = 0; follow && hops < 5 && [301, 302, 303, 307, 308].includes(res.status); hops++) {
      res.body.resume();
      const next = new URL(String(res.headers.location), res.url);
      // storage backends get no registry credentials
      const h = next.host === url.host ? headers : { ...opts.headers };
      res = await this.#send(endpoint, method, next, h, undefined, opts.signal, slabs);
    }
    return res;
  }

  /**
   * GET a path of the registry's v1 API (search) on its first endpoint that answers at all,
   * mirrors left out, with basic credentials if any: `index.docker.io` for Docker Hub.
   */
  async v1Get(pathAndQuery: string, signal?: AbortSignal): Promise<RegistryResponse> {
    const endpoints = endpointsFor(this.domain, this.#cfg).filter((e) => !e.mirror);
    let lastError: unknown;
    for (const e of endpoints) {
      const endpoint =
        e.url === `https://${DOCKER_HUB_HOST}` ? { ...e, url: `https://${DOCKER_HUB_INDEX}` } : e;
      const url = new URL(pathAndQuery, endpoint.url);
      try {
        return await this.#send(endpoint, 'GET', url, this.#basic(), undefined, signal);
      } catch (err) {
        if (signal?.aborted) throw err;
        lastError = err;
      }
    }
    throw lastError;
  }

  /** Checks the credentials: a token for the registry (bearer) or /v2/ with basic auth. */
  async login(signal?: AbortSignal): Promise<string | undefined> {
    const { endpoint, challenge } = await this.endpoint(signal);
    if (!challenge) return undefined;
    const url = new URL('/v2/', endpoint.url);
    if (challenge.scheme === 'bearer') {
      try {
        await this.#token(challenge, [], signal, true);
      } catch (err) {
        // dockerd: Get "http://host/v2/": unauthorized: incorrect username or password
        if (err instanceof RegistryError && err.status === 401)
          throw new RegistryError('Unauthorized', 401, `Get "${url.href}": ${err.detail}`, err.code);
        throw err;
      }
      return undefined;
    }
    const res = await this.#send(endpoint, 'GET', url, this.#basic(), undefined, signal);
    res.body.resume();
    if (res.status !== 200)
      throw new RegistryError(
        KIND[res.status] ?? 'Internal',
        res.status,
        `login attempt to ${url.href} failed with status: ${res.status} ${STATUS_CODES[res.status] ?? ''}`.trim(),
      );
    return undefined;
  }

  /** Who the credentials are, for the token cache: a digest of all of them. */
  #whose(): string {
    const a = this.#auth;
    if (!a) return '';
    return createHash('sha256')
      .update(JSON.stringify([a.username ?? '', a.password ?? '', a.identitytoken ?? '']))
      .digest('hex');
  }

  #basic(): Record<string, string> {
    const a = this.#auth;
    if (!a?.username) return {};
    return { Authorization: `Basic ${Buffer.from(`${a.username}:${a.password ?? ''}`).toString('base64')}` };
  }

  async #authHeader(
    challenge: Challenge | undefined,
    scopes: readonly string[],
    signal: AbortSignal | undefined,
    fresh = false,
  ): Promise<Record<string, string>> {
    if (this.#auth?.registrytoken) return { Authorization: `Bearer ${this.#auth.registrytoken}` };
    if (!challenge) return {};
    if (challenge.scheme === 'basic') return this.#basic();
    if (challenge.scheme === 'bearer')
      return { Authorization: `Bearer ${await this.#token(challenge, scopes, signal, fresh)}` };
    return {};
  }

  /** A bearer token from the challenge's realm for these scopes (cached). */
  async #token(
    challenge: Challenge,
    scopes: readonly string[],
    signal?: AbortSignal,
    fresh = false,
  ): Promise<string> {
    const { realm, service } = challenge.params;
    if (!realm) throw unavailable(`${this.domain}: the registry's bearer challenge has no realm`);
    const all = [
      ...new Set([...scopes, ...(challenge.params.scope ? challenge.params.scope.split(' ') : [])]),
    ].sort();
    // tokens are cached per credentials, not per user name: a wrong password gets no one's token
    const key = `${realm}|${service ?? ''}|${all.join(' ')}|${this.#whose()}`;
    const cached = this.#tokens.get(key);
    if (cached && !fresh) return cached;
    const url = new URL(realm);
    if (service) url.searchParams.set('service', service);
    for (const s of all) url.searchParams.append('scope', s);
    const endpoint: Endpoint = { url: url.origin, insecureTls: false, mirror: false };
    const token = (await this.endpoint(signal)).endpoint;
    // the token server shares the registry's CAs when it is the same host
    if (url.host === new URL(token.url).host)
      Object.assign(endpoint, { ca: token.ca, insecureTls: token.insecureTls });
    const res = await this.#send(endpoint, 'GET', url, this.#basic(), undefined, signal);
    if (res.status !== 200) {
      const err = await responseError(
        res,
        `${this.domain}: token request to ${url.origin}${url.pathname} failed`,
      );
      if ((res.status === 401 || res.status === 403) && !err.code)
        throw new RegistryError(
          'Unauthorized',
          res.status,
          `${err.message.replace(/: (unexpected status \d+.*|unauthorized: authentication required)$/, '')}: unauthorized: incorrect username or password`,
          'UNAUTHORIZED',
          'unauthorized: incorrect username or password',
        );
      throw err;
    }
    const body = JSON.parse((await readAll(res.body)).toString('utf8')) as {
      token?: string;
      access_token?: string;
      expires_in?: number;
    };
    const t = body.token ?? body.access_token;
    if (!t) throw unavailable(`${this.domain}: the token server answered without a token`);
    this.#tokens.set(key, t, body.expires_in ?? 60);
    return t;
  }

  #agent(endpoint: Endpoint): https.Agent {
    const key = `${endpoint.url}|${endpoint.insecureTls}`;
    let agent = this.#agents.get(key);
    if (!agent) {
      agent = new https.Agent({
        keepAlive: true,
        maxSockets: 32,
        rejectUnauthorized: !endpoint.insecureTls,
        ...(endpoint.ca ? { ca: [...rootCertificates, ...endpoint.ca.map(String)] } : {}),
        ...(endpoint.cert ? { cert: endpoint.cert, key: endpoint.key } : {}),
      });
      this.#agents.set(key, agent);
    }
    return agent;
  }

  /** Closes idle connections. */
  close(): void {
    for (const a of this.#agents.values()) a.destroy();
    this.#agents.clear();
  }

  #send(
    endpoint: Endpoint,
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: RequestOptions['body'],
    signal: AbortSignal | undefined,
    slabs = false,
  ): Promise<RegistryResponse> {
    // (node:http honours HTTP_PROXY when NODE_USE_ENV_PROXY is set; the slab reader does not proxy)
    if (slabs && url.protocol === 'http:' && body === undefined && !process.env.NODE_USE_ENV_PROXY)
      return slabGet(url, { 'User-Agent': USER_AGENT, ...headers }, signal).then(
        (res) => ({ ...res, url }),
        (err: NodeJS.ErrnoException) => {
          if (signal?.aborted) throw err;
          throw unavailable(`${verb(method)} "${url.href}": ${describeNetError(err)}`, err);
        },
      );
    return new Promise((resolve, reject) => {
      const secure = url.protocol === 'https:';
      const h: Record<string, string> = { 'User-Agent': USER_AGENT, ...headers };
      if (Buffer.isBuffer(body)) h['Content-Length'] = String(body.length);
      const req = (secure ? https : http).request(
        url,
        {
          method,
          headers: h,
          agent: secure
            ? this.#agent(
                url.origin === endpoint.url
                  ? endpoint
                  : { ...endpoint, url: url.origin, ca: undefined, insecureTls: false },
              )
            : httpAgent,
          signal,
          timeout: 30_000,
        },
        (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url }),
      );
      req.on('timeout', () => req.destroy(new Error('timeout awaiting response headers')));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (signal?.aborted) reject(err);
        else reject(unavailable(`${verb(method)} "${url.href}": ${describeNetError(err)}`, err));
      });
      if (body === undefined || Buffer.isBuffer(body)) req.end(body);
      else {
        const src = body();
        src.on('error', (e) => req.destroy(e));
        src.pipe(req);
      }
    });
  }
}

const verb = (m: string) => m.charAt(0) + m.slice(1).toLowerCase();

function describeNetError(err: NodeJS.ErrnoException): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e.code === 'ECONNREFUSED') return `dial tcp ${e.address}:${e.port}: connect: connection refused`;
  if (e.code === 'ENOTFOUND')
    return `dial tcp: lookup ${(e as { hostname?: string }).hostname}: no such host`;
  if (e.code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(e.code))
    return `tls: failed to verify certificate: ${e.message}`;
  return e.message;
}

/** The challenge to answer: bearer before basic. */
function pickChallenge(header: string | string[] | undefined): Challenge | undefined {
  const all = parseChallenges(header);
  return all.find((c) => c.scheme === 'bearer') ?? all.find((c) => c.scheme === 'basic');
}

function normaliseAuth(a: AuthConfig | undefined): AuthConfig | undefined {
  if (!a) return undefined;
  if (!a.username && a.auth) {
    const text = Buffer.from(a.auth, 'base64').toString('utf8');
    const i = text.indexOf(':');
    return { ...a, username: text.slice(0, i), password: text.slice(i + 1) };
  }
  if (!a.username && !a.registrytoken && !a.identitytoken) return undefined;
  return a;
}

export { readAll };
export const asReadable = (b: Buffer) => () => Readable.from([b]);
