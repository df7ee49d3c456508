// The Engine API over HTTP: one handler for every request, routing, error mapping, and an
// AbortSignal per request that fires when the client disconnects.

import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { invalidArgument } from '../../common/errors.ts';
import type { Engine } from '../../engine/engine.ts';
import { containerArchiveRoutes } from './container-archive.ts';
import { containerRoutes } from './containers.ts';
import { distributionRoutes } from './distribution.ts';
import { imageRoutes } from './images.ts';
import { networkRoutes } from './networks.ts';
import { sendError } from './respond.ts';
import { type Context, Router } from './router.ts';
import { systemRoutes } from './system.ts';

export function apiRouter(engine: Engine): Router {
  const router = new Router();
  systemRoutes(router, engine);
  distributionRoutes(router, engine);
  imageRoutes(router, engine);
  containerRoutes(router, engine);
  containerArchiveRoutes(router, engine);
  networkRoutes(router, engine);
  return router;
}

export function handler(router: Router, log: (line: string) => void = () => {}) {
  return async (req: IncomingMessage, res: ServerResponse, upgrade?: Context['upgrade']) => {
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    let path = req.url ?? '/';
    try {
      let url: URL;
      try {
        url = new URL(path, 'http://berth');
      } catch {
        throw invalidArgument(`invalid request URL: ${JSON.stringify(path)}`);
      }
      path = url.pathname;
      const { handler: h, params, version } = router.resolve(req.method ?? 'GET', url.pathname);
      await h({ req, res, params, query: url.searchParams, version, signal: controller.signal, upgrade });
    } catch (err) {
      log(`${req.method} ${path}: ${(err as Error).message}`);
      sendError(res, err);
    }
  };
}

/**
 * `Connection: Upgrade` requests (the docker CLI's attach and exec start): a response object on
 * the raw socket, so errors go out as ordinary HTTP answers and handlers can take the socket.
 */
export function upgradeHandler(router: Router, log?: (line: string) => void) {
  const h = handler(router, log);
  return async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as import('node:net').Socket);
    res.on('finish', () => {
      if (!res.hasHeader('x-berth-hijacked')) socket.end();
    });
    socket.on('error', () => {});
    // the request's body (exec start's JSON) arrives on the socket, ahead of the stream's bytes
    const length = Number(req.headers['content-length'] ?? 0);
    const split = await splitBody(socket, head, Number.isSafeInteger(length) && length > 0 ? length : 0);
    if (!split) {
      // the client went away (or stopped sending) mid-body: nothing to answer
      socket.destroy();
      return;
    }
    void h(req, res, { socket, head: split.rest, body: split.body });
  };
}

/**
 * The first `length` bytes after the headers (read on from the socket when `head` is short), and
 * the rest. Read in paused mode ('readable' and read()): once the listener is gone the socket's
 * flow is undecided again, so whoever takes the stream next starts it with a 'data' listener.
 */
async function splitBody(
  socket: Duplex,
  head: Buffer,
  length: number,
): Promise<{ body: Buffer; rest: Buffer } | undefined> {
  let got = head;
  while (got.length < length) {
    const open = await new Promise<boolean>((resolve) => {
      const done = (readable: boolean) => {
        socket.off('readable', onReadable);
        socket.off('end', onClose);
        socket.off('close', onClose);
        resolve(readable);
      };
      const onReadable = () => done(true);
      const onClose = () => done(false);
      socket.on('readable', onReadable);
      // a half-closed socket (the server's allow half-open) ends but does not close
      socket.on('end', onClose);
      socket.on('close', onClose);
    });
    if (!open) return undefined;
    for (let chunk = socket.read() as Buffer | null; chunk; chunk = socket.read() as Buffer | null)
      got = Buffer.concat([got, chunk]);
    if (got.length < length && socket.readableEnded) return undefined;
  }
  return { body: got.subarray(0, length), rest: got.subarray(length) };
}

export function createApiServer(engine: Engine, log?: (line: string) => void): Server {
  const router = apiRouter(engine);
  const server = createHttpServer(handler(router, log));
  server.on('upgrade', upgradeHandler(router, log));
  server.keepAliveTimeout = 0;
  return server;
}
