// The Engine API over HTTP: one handler for every request, routing, error mapping, and an
// AbortSignal per request that fires when the client disconnects.

import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { invalidArgument } from '../../common/errors.ts';
import type { Engine } from '../../engine/engine.ts';
import { imageRoutes } from './images.ts';
import { sendError } from './respond.ts';
import { Router } from './router.ts';
import { systemRoutes } from './system.ts';

export function apiRouter(engine: Engine): Router {
  const router = new Router();
  systemRoutes(router, engine);
  imageRoutes(router, engine);
  return router;
}

export function handler(router: Router, log: (line: string) => void = () => {}) {
  return async (req: IncomingMessage, res: ServerResponse) => {
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
      await h({ req, res, params, query: url.searchParams, version, signal: controller.signal });
    } catch (err) {
      log(`${req.method} ${path}: ${(err as Error).message}`);
      sendError(res, err);
    }
  };
}

export function createApiServer(engine: Engine, log?: (line: string) => void): Server {
  const server = createHttpServer(handler(apiRouter(engine), log));
  server.keepAliveTimeout = 0;
  return server;
}
