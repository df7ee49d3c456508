// A typed client of the Engine API (the berth CLI uses nothing else): unix socket or TCP with
// TLS, version negotiation through /_ping, Docker's error bodies turned back into BerthErrors.

import { readFileSync } from 'node:fs';
import type { IncomingMessage, RequestOptions } from 'node:http';
import type { Socket } from 'node:net';
import { finished, pipeline, type Readable } from 'node:stream';
import { BerthError, type ErrorKind, invalidArgument, unavailable } from '../../common/errors.ts';

// Loaded on first use with getBuiltinModule, not import: an ESM import of node:http builds a
// facade over every export, and its lazy getters (WebSocket, fetch's classes) load undici — ~40 ms
// of every CLI command; createRequire would load node:module (readline, source maps) for nothing.
const http = () => process.getBuiltinModule('node:http');
const https = () => process.getBuiltinModule('node:https');

export const CLIENT_API_VERSION = '1.45';

export interface TlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
  verify: boolean;
}

const KIND: Record<number, ErrorKind> = {
  400: 'InvalidArgument',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  501: 'NotImplemented',
  503: 'Unavailable',
};

/** An error the daemon answered with; the CLI prints `Error response from daemon: …`. */
export class DaemonError extends BerthError {
  readonly status: number;

  constructor(status: number, message: string) {
    super(KIND[status] ?? 'Internal', message);
    this.status = status;
  }
}

/** The Content-Type of a hijacked stream with a tty: raw bytes, no frames. */
export const RAW_STREAM = 'application/vnd.docker.raw-stream';

export interface HijackedConnection {
  /** Both directions of the stream; end() it to half-close stdin. */
  socket: Socket;
  contentType: string;
  /** Frames of stdcopy.ts (no tty) rather than raw bytes (tty). */
  multiplexed: boolean;
}

export interface RequestInit {
  /** a list repeats the key (`names=a&names=b`) */
  query?: Record<string, string | number | boolean | string[] | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export class ApiClient {
  readonly host: string;
  #base: RequestOptions;
  #tls: boolean;
  #version: string | undefined;

  constructor(host: string, tls?: TlsOptions) {
    this.host = host;
    if (host.startsWith('unix://')) {
      // servername '' (no TLS here): else the agent checks the Host header with net.isIP, whose
      // first IPv6 test compiles a regular expression that costs the CLI ~2-6 ms.
      this.#base = { socketPath: host.slice('unix://'.length), servername: '' } as RequestOptions;
      this.#tls = false;
    } else if (host.startsWith('tcp://') || host.startsWith('https://')) {
      const url = new URL(host.replace(/^tcp:/, 'https:'));
      this.#tls = tls !== undefined;
      this.#base = {
        host: url.hostname,
        port: Number(url.port || (this.#tls ? 2376 : 2375)),
        ...(tls
          ? {
              ca: tls.ca ? readFileSync(tls.ca) : undefined,
              cert: tls.cert ? readFileSync(tls.cert) : undefined,
              key: tls.key ? readFileSync(tls.key) : undefined,
              rejectUnauthorized: tls.verify,
            }
          : {}),
      };
    } else {
      throw invalidArgument(`unable to parse docker host \`${host}\``);
    }
  }

  /** The API version both sides speak: the lower of ours and the daemon's. */
  async negotiate(): Promise<string> {
    if (this.#version) return this.#version;
    const res = await this.raw('GET', '/_ping', {}, false);
    // Wait for the (empty) body's end: the agent frees the socket on the tick after it, so the
    // command's first request reuses this connection instead of opening a second one.
    const ended = new Promise((resolve) => {
      res.once('end', resolve);
      res.once('close', resolve);
    });
    res.resume();
    await ended;
    const theirs = String(res.headers['api-version'] ?? '1.24');
    const cmp = (a: string, b: string) => {
      const [am, an] = a.split('.').map(Number);
      const [bm, bn] = b.split('.').map(Number);
      return am - bm || an - bn;
    };
    this.#version = cmp(theirs, CLIENT_API_VERSION) < 0 ? theirs : CLIENT_API_VERSION;
    return this.#version;
  }

  /** The http(s).request options, and the body to send, for one API call. */
  #prepare(
    method: string,
    path: string,
    init: RequestInit,
    versioned: boolean,
  ): { options: RequestOptions; body: Buffer | undefined; streaming: boolean } {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(init.query ?? {})) {
      if (Array.isArray(v)) for (const item of v) query.append(k, item);
      else if (v !== undefined) query.set(k, String(v));
    }
    const qs = query.toString();
    const streaming = isReadable(init.body);
    const body =
      init.body === undefined || streaming
        ? undefined
        : Buffer.isBuffer(init.body)
          ? init.body
          : Buffer.from(JSON.stringify(init.body));
    const prefix = versioned && this.#version ? `/v${this.#version}` : '';
    const headers: Record<string, string> = { 'User-Agent': 'berth-cli/0.1.0', ...init.headers };
    if (body) {
      headers['Content-Type'] ??= 'application/json';
      headers['Content-Length'] = String(body.length);
    }
    const options = {
      ...this.#base,
      method,
      path: `${prefix}${path}${qs ? `?${qs}` : ''}`,
      headers,
    };
    return { options, body, streaming };
  }

  #send(options: RequestOptions, onResponse?: (res: IncomingMessage) => void) {
    return this.#tls ? https().request(options, onResponse) : http().request(options, onResponse);
  }

  #connectionError(err: NodeJS.ErrnoException): Error {
    if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
      return unavailable(
        `Cannot connect to the berth daemon at ${this.host}. Is the berth daemon running?`,
        err,
      );
    }
    return err;
  }

  /**
   * Sends a request; resolves with the response (any status), body unread. An abort of
   * `init.signal` ends the request or the body being read; once the body is done it is ignored
   * (Node's own signal option would destroy the socket after it went back to the pool).
   */
  raw(method: string, path: string, init: RequestInit = {}, versioned = true): Promise<IncomingMessage> {
    const { options, body, streaming } = this.#prepare(method, path, init, versioned);
    const { signal } = init;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError());
        return;
      }
      let response: IncomingMessage | undefined;
      const done = () => signal?.removeEventListener('abort', onAbort);
      const onAbort = () => {
        done();
        if (!response?.complete) req.destroy(abortError());
      };
      const req = this.#send(options, (res) => {
        response = res;
        res.once('end', done);
        res.once('close', done);
        resolve(res);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err: NodeJS.ErrnoException) => {
        done();
        reject(this.#connectionError(err));
      });
      if (streaming) {
        pipeline(init.body as Readable, req, (err) => {
          if (err) {
            req.destroy();
            reject((err as NodeJS.ErrnoException).code ? invalidArgument(err.message, err) : err);
          }
        });
      } else req.end(body);
    });
  }

  /**
   * A hijacked connection (attach, exec start): the request asks for `Upgrade: tcp`, the daemon
   * answers 101 and the socket then carries the process's streams both ways. Error statuses
   * become DaemonErrors; any other answer is refused as the docker CLI refuses it.
   */
  async hijack(method: string, path: string, init: RequestInit = {}): Promise<HijackedConnection> {
    await this.negotiate();
    const { options, body } = this.#prepare(method, path, init, true);
    options.headers = {
      ...(options.headers as Record<string, string>),
      Connection: 'Upgrade',
      Upgrade: 'tcp',
    };
    options.agent = false;
    return new Promise((resolve, reject) => {
      const req = this.#send(options);
      req.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
        if (head.length) socket.unshift(head);
        socket.setNoDelay?.(true);
        const contentType = String(res.headers['content-type'] ?? '');
        resolve({ socket, contentType, multiplexed: contentType !== RAW_STREAM });
      });
      req.on('response', (res: IncomingMessage) => {
        const status = res.statusCode ?? 500;
        readAll(res).then((text) => {
          if (status >= 400) reject(new DaemonError(status, messageOf(text, status)));
          else reject(new BerthError('Internal', `unable to upgrade to tcp, received ${status}`));
        }, reject);
      });
      req.on('error', (err: NodeJS.ErrnoException) => reject(this.#connectionError(err)));
      req.end(body);
    });
  }

  /** Sends a request; resolves with the response, body unread, once it is a 2xx (else a DaemonError). */
  async open(method: string, path: string, init: RequestInit = {}): Promise<IncomingMessage> {
    await this.negotiate();
    const res = await this.raw(method, path, init);
    const status = res.statusCode ?? 500;
    if (status >= 400) throw new DaemonError(status, messageOf(await readAll(res), status));
    return res;
  }

  /** Sends a request and reads the whole body; non-2xx statuses become DaemonErrors. */
  async request(
    method: string,
    path: string,
    init: RequestInit = {},
  ): Promise<{ status: number; text: string }> {
    const res = await this.open(method, path, init);
    return { status: res.statusCode ?? 200, text: await readAll(res) };
  }

  async json<T>(method: string, path: string, init: RequestInit = {}): Promise<T> {
    const { text } = await this.request(method, path, init);
    return (text.trim() ? JSON.parse(text) : undefined) as T;
  }

  /** A JSON-lines stream (events, progress); non-2xx statuses become DaemonErrors. */
  async *stream<T>(method: string, path: string, init: RequestInit = {}): AsyncGenerator<T> {
    const res = await this.open(method, path, init);
    let buffered = '';
    for await (const chunk of res) {
      buffered += (chunk as Buffer).toString('utf8');
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line) yield JSON.parse(line) as T;
        nl = buffered.indexOf('\n');
      }
    }
    if (buffered.trim()) yield JSON.parse(buffered) as T;
  }
}

/** The whole body; fails as an async iteration of it would (its error, or a premature close). */
function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    finished(res, (err) => (err ? reject(err) : resolve(Buffer.concat(chunks).toString('utf8'))));
  });
}

function abortError(): Error {
  const err = new Error('The operation was aborted');
  err.name = 'AbortError';
  return err;
}

function isReadable(v: unknown): v is Readable {
  return typeof v === 'object' && v !== null && typeof (v as Readable).pipe === 'function';
}

function messageOf(text: string, status: number): string {
  try {
    const body = JSON.parse(text) as { message?: string };
    if (body.message) return body.message;
  } catch {
    // not JSON
  }
  return text.trim() || `status ${status}`;
}
