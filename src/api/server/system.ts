// /_ping, /version, /info, /events, /system/df.

import { once } from 'node:events';
import { invalidArgument } from '../../common/errors.ts';
import { parseTimestampNs } from '../../common/filters.ts';
import { API_VERSION, type Engine } from '../../engine/engine.ts';
import { parseFilters } from '../../engine/events.ts';
import { sendJson, startStream, streamLine } from './respond.ts';
import type { Router } from './router.ts';

/** Docker's `since`/`until` query values, in nanoseconds; undefined when absent. */
export function parseTimestamp(value: string | null, now = Date.now()): number | undefined {
  return value === null || value === '' ? undefined : parseTimestampNs(value, now);
}

export function systemRoutes(router: Router, engine: Engine): void {
  const ping = (res: import('node:http').ServerResponse, head: boolean) => {
    res.writeHead(200, {
      'Api-Version': API_VERSION,
      'Builder-Version': '1',
      'Docker-Experimental': 'false',
      Ostype: 'linux',
      Swarm: 'inactive',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': '2',
    });
    res.end(head ? undefined : 'OK');
  };
  router.add('GET', '/_ping', ({ req, res }) => ping(res, req.method === 'HEAD'));
  router.add('GET', '/version', ({ res }) => sendJson(res, 200, engine.version()));
  router.add('GET', '/info', ({ res }) => sendJson(res, 200, engine.info()));
  router.add('GET', '/system/df', async ({ res, version }) =>
    sendJson(res, 200, await engine.diskUsage(Number(version))),
  );
  // A build cache does not exist in berth yet, so there is nothing of it to prune; `docker
  // system prune` calls all four (containers, networks: their own route files).
  router.add('POST', '/build/prune', ({ res }) =>
    sendJson(res, 200, { CachesDeleted: null, SpaceReclaimed: 0 }),
  );
  router.add('GET', '/events', async ({ res, query, signal }) => {
    // as dockerd: filter keys it does not know are ignored, not refused
    const filters = parseFilters(query.get('filters') ?? undefined);
    const since = parseTimestamp(query.get('since'));
    const until = parseTimestamp(query.get('until'));
    if (until !== undefined && until < (since ?? 0))
      throw invalidArgument(
        `\`since\` time (${query.get('since')}) cannot be after \`until\` time (${query.get('until')})`,
      );
    startStream(res);
    for await (const event of engine.events.subscribe({ since, until, filters }, signal)) {
      // a client that stops reading and goes away must not keep the subscription: the signal
      // aborts the wait for drain when it disconnects
      if (!streamLine(res, event)) await once(res, 'drain', { signal }).catch(() => {});
      if (signal.aborted) break;
    }
    res.end();
  });
}
