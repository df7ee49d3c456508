// /images/*: list, inspect, history, tag, remove, prune, load, save, import; pulls go to
// distribution.ts.

import { pipeline } from 'node:stream';
import { invalidArgument } from '../../common/errors.ts';
import type { Engine } from '../../engine/engine.ts';
import { parseFilters } from '../../engine/events.ts';
import { pullRoute } from './distribution.ts';
import { sendJson, startStream, streamLine } from './respond.ts';
import type { Router } from './router.ts';

const truthy = (v: string | null) => v === '1' || v === 'true' || v === 'True';

export function imageRoutes(router: Router, engine: Engine): void {
  const images = engine.images;
  const pull = pullRoute(engine);
  router.add('POST', '/images/load', async ({ req, res, query }) => {
    const quiet = truthy(query.get('quiet'));
    startStream(res);
    try {
      await images.load(req, (line) => {
        if (!quiet || line.startsWith('Loaded image')) streamLine(res, { stream: `${line}\n` });
      });
    } catch (err) {
      streamLine(res, { errorDetail: { message: (err as Error).message }, error: (err as Error).message });
    }
    res.end();
  });
  const save = (res: import('node:http').ServerResponse, names: string[]) => {
    const stream = images.save(names);
    res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    // pipeline destroys the archive stream (and the layer files it holds) if the client leaves
    pipeline(stream, res, () => {});
  };
  router.add('GET', '/images/get', ({ res, query }) => save(res, query.getAll('names')));
  router.add('GET', '/images/{name*}/get', ({ res, params }) => save(res, [params.name]));
  router.add('POST', '/images/create', async ({ req, res, query }) => {
    if (query.get('fromImage')) return pull({ req, res, query });
    const src = query.get('fromSrc');
    if (src !== '-')
      throw invalidArgument('fromSrc must be "-" (the request body): importing from a URL is not supported');
    const repo = query.get('repo') || undefined;
    const tag = query.get('tag') || undefined;
    const reference = repo ? (tag ? `${repo}:${tag}` : repo) : undefined;
    startStream(res);
    try {
      const r = await images.import(req, {
        reference,
        changes: query.getAll('changes'),
        message: query.get('message') ?? undefined,
      });
      streamLine(res, { status: r.id });
    } catch (err) {
      streamLine(res, { errorDetail: { message: (err as Error).message }, error: (err as Error).message });
    }
    res.end();
  });
  router.add('GET', '/images/json', ({ res, query, version }) => {
    const filters = parseFilters(query.get('filters') ?? undefined);
    // old clients send ?filter=<reference>
    const legacy = query.get('filter');
    if (legacy) filters.reference = [...(filters.reference ?? []), legacy];
    sendJson(res, 200, images.list({ all: truthy(query.get('all')), filters }, Number(version)));
  });
  router.add('POST', '/images/prune', async ({ res, query }) => {
    // dangling=false (docker image prune -a) widens it to every unused image; pruneImages reads it
    sendJson(res, 200, await images.prune(parseFilters(query.get('filters') ?? undefined)));
  });
  router.add('GET', '/images/{name*}/json', ({ res, params, version }) => {
    sendJson(res, 200, images.inspect(params.name, Number(version)));
  });
  router.add('GET', '/images/{name*}/history', ({ res, params }) => {
    sendJson(res, 200, images.history(params.name));
  });
  router.add('POST', '/images/{name*}/tag', ({ res, params, query }) => {
    const repo = query.get('repo');
    if (!repo) throw invalidArgument('repository name must have at least one component');
    images.tag(params.name, repo, query.get('tag') || undefined);
    res.writeHead(201);
    res.end();
  });
  router.add('DELETE', '/images/{name*}', async ({ res, params, query }) => {
    const items = await images.remove(params.name, {
      force: truthy(query.get('force')),
      noprune: truthy(query.get('noprune')),
    });
    sendJson(res, 200, items);
  });
}
