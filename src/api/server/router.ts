// Routing for the Engine API: an optional /vX.Y prefix (checked against the versions berth
// speaks), then METHOD + path pattern (`/images/{name}/json`; `{name*}` takes the rest, since
// image names contain slashes). Handlers get the request, the response, the path parameters,
// the query and the negotiated API version.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidArgument, notFound } from '../../common/errors.ts';
import { API_VERSION, MIN_API_VERSION } from '../../engine/engine.ts';

export interface Context {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** the version in the path, or the server's own */
  version: string;
  /** aborts when the client goes away */
  signal: AbortSignal;
  /** set for `Connection: Upgrade` requests (attach, exec start): the raw connection */
  upgrade?: {
    socket: import('node:stream').Duplex;
    /** what followed the request's body: the start of the client's stream */
    head: Buffer;
    /** the request's body (Content-Length bytes): an upgraded request has no body stream */
    body: Buffer;
  };
}

export type Handler = (ctx: Context) => Promise<void> | void;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

export function compareVersions(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am - bm || an - bn;
}

export class Router {
  readonly #routes: Route[] = [];

  add(method: string, path: string, handler: Handler): this {
    const names: string[] = [];
    const source = path.replace(/\{(\w+)(\*?)\}/g, (_, name: string, rest: string) => {
      names.push(name);
      return rest ? '(.+?)' : '([^/]+)';
    });
    this.#routes.push({ method, pattern: new RegExp(`^${source}$`), names, handler });
    return this;
  }

  /** Splits off and checks the version prefix; finds the route. */
  resolve(
    method: string,
    rawPath: string,
  ): { handler: Handler; params: Record<string, string>; version: string } {
    let path = rawPath;
    let version = API_VERSION;
    const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(rawPath);
    if (m) {
      version = m[1];
      path = m[2];
      if (compareVersions(version, API_VERSION) > 0) {
        throw invalidArgument(
          `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`,
        );
      }
      if (compareVersions(version, MIN_API_VERSION) < 0) {
        throw invalidArgument(
          `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
        );
      }
    }
    const head = method === 'HEAD';
    for (const route of this.#routes) {
      if (route.method !== method && !(head && route.method === 'GET')) continue;
      const match = route.pattern.exec(path);
      if (!match) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(match[i + 1]);
        } catch {
          throw invalidArgument(`invalid escape in the request path: ${JSON.stringify(match[i + 1])}`);
        }
      });
      return { handler: route.handler, params, version };
    }
    throw notFound(`page not found`);
  }
}
