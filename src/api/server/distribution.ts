// Pull (POST /images/create?fromImage=), push (POST /images/{name}/push), POST /auth,
// GET /distribution/{name}/json and GET /images/search.
// Credentials come in X-Registry-Auth (base64url JSON of an AuthConfig). The progress stream
// starts with the first message: an error before it (no such repository, 401, registry down)
// is an HTTP error status, as dockerd answers; after it, an errorDetail line.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidArgument } from '../../common/errors.ts';
import type { AuthConfig } from '../../distribution/client.ts';
import type { ProgressMessage } from '../../distribution/progress.ts';
import type { SearchFilters } from '../../distribution/search.ts';
import type { Engine } from '../../engine/engine.ts';
import { parseFilters } from '../../engine/events.ts';
import { readJsonBody, sendJson, startStream, streamLine } from './respond.ts';
import type { Router } from './router.ts';

/** The X-Registry-Auth header: base64url (or plain base64) JSON; empty or `{}` is no credentials. */
export function registryAuth(req: IncomingMessage): AuthConfig | undefined {
  const header = req.headers['x-registry-auth'];
  if (!header || Array.isArray(header)) return undefined;
  try {
    const json = Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    const auth = JSON.parse(json) as AuthConfig;
    return auth && typeof auth === 'object' && Object.keys(auth).length ? auth : undefined;
  } catch {
    return undefined;
  }
}

/** Runs an operation that streams progress messages, with Docker's error handling. */
export async function progressStream(
  res: ServerResponse,
  run: (emit: (m: ProgressMessage) => void, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort(new Error('the client went away'));
  });
  let started = false;
  const emit = (m: ProgressMessage) => {
    if (!started) {
      startStream(res);
      started = true;
    }
    streamLine(res, m);
  };
  try {
    await run(emit, abort.signal);
  } catch (err) {
    if (!started) throw err;
    streamLine(res, { errorDetail: { message: (err as Error).message }, error: (err as Error).message });
  }
  if (!started) startStream(res);
  res.end();
}

export function pullRoute(engine: Engine) {
  return async ({
    req,
    res,
    query,
  }: {
    req: IncomingMessage;
    res: ServerResponse;
    query: URLSearchParams;
  }) => {
    const image = query.get('fromImage')!;
    await progressStream(res, (emit, signal) =>
      engine.distribution.pull(
        {
          image,
          tag: query.get('tag') || undefined,
          platform: query.get('platform') || undefined,
          auth: registryAuth(req),
          signal,
        },
        emit,
      ),
    );
  };
}

export function distributionRoutes(router: Router, engine: Engine): void {
  router.add('POST', '/images/{name*}/push', async ({ req, res, params, query }) => {
    await progressStream(res, (emit, signal) =>
      engine.distribution.push(
        {
          name: params.name,
          tag: query.get('tag') || undefined,
          auth: registryAuth(req),
          // berth's own: how layers stored uncompressed are compressed for the registry
          compression: query.get('compression') === 'zstd' ? 'zstd' : undefined,
          signal,
        },
        emit,
      ),
    );
  });
  router.add('GET', '/distribution/{name*}/json', async ({ req, res, params }) => {
    sendJson(res, 200, await engine.distribution.inspect({ name: params.name, auth: registryAuth(req) }));
  });
  router.add('GET', '/images/search', async ({ req, res, query }) => {
    const term = query.get('term');
    if (!term) throw invalidArgument('term is required');
    const limit = query.get('limit') ? Number(query.get('limit')) : 0;
    if (Number.isNaN(limit)) throw invalidArgument(`invalid limit: ${query.get('limit')}`);
    // `{"stars":{"3":true}}` (or the old `{"stars":["3"]}`), as every list endpoint reads it
    const filters: SearchFilters = parseFilters(query.get('filters') ?? undefined);
    sendJson(res, 200, await engine.distribution.search({ term, limit, filters, auth: registryAuth(req) }));
  });
  router.add('POST', '/auth', async ({ req, res }) => {
    const auth = await readJsonBody<AuthConfig>(req);
    if (!auth) throw invalidArgument('no credentials in the request body');
    sendJson(res, 200, await engine.distribution.login(auth));
  });
}
