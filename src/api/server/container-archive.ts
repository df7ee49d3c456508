// Files in and out of containers, and images out of them: GET/HEAD/PUT /containers/{id}/archive
// (docker cp), GET /containers/{id}/export, GET /containers/{id}/changes (docker diff) and
// POST /commit. The engine side is src/engine/containers/archive.ts, changes.ts and commit.ts.

import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidArgument } from '../../common/errors.ts';
import { ContainerArchive, encodePathStat, type TarStream } from '../../engine/containers/archive.ts';
import { containerChanges } from '../../engine/containers/changes.ts';
import { commitContainer } from '../../engine/containers/commit.ts';
import type { Engine } from '../../engine/engine.ts';
import type { ContainerConfig } from '../../spec/docker/api.ts';
import { readJsonBody, sendJson } from './respond.ts';
import type { Router } from './router.ts';

const truthy = (v: string | null) => v === '1' || v === 'true' || v === 'True';
const STAT_HEADER = 'X-Docker-Container-Path-Stat';

async function sendTar(res: import('node:http').ServerResponse, out: TarStream, headers = {}): Promise<void> {
  try {
    res.writeHead(200, { 'Content-Type': 'application/x-tar', ...headers });
    await pipeline(Readable.from(out.tar), res);
  } finally {
    out.release();
  }
}

export function containerArchiveRoutes(router: Router, engine: Engine): void {
  const archive = new ContainerArchive({
    containers: engine.containers,
    images: engine.images,
    events: engine.events,
    mountDir: join(engine.config.execRoot, 'archive'),
    spoolDir: join(engine.config.dataRoot, 'tmp', 'archive'),
  });

  // HEAD reaches this route too: the stat alone
  router.add('GET', '/containers/{id}/archive', async ({ req, res, params, query, signal }) => {
    const path = query.get('path') ?? '';
    if (req.method === 'HEAD') {
      const stat = await archive.stat(params.id, path);
      res.writeHead(200, { [STAT_HEADER]: encodePathStat(stat) });
      res.end();
      return;
    }
    const out = await archive.archive(params.id, path, signal);
    await sendTar(res, out, { [STAT_HEADER]: encodePathStat(out.stat) });
  });

  router.add('PUT', '/containers/{id}/archive', async ({ req, res, params, query, signal }) => {
    await archive.extract(params.id, query.get('path') ?? '', req, {
      noOverwriteDirNonDir: truthy(query.get('noOverwriteDirNonDir')),
      copyUIDGID: truthy(query.get('copyUIDGID')),
      signal,
    });
    res.writeHead(200, { 'Content-Length': 0 });
    res.end();
  });

  router.add('GET', '/containers/{id}/export', async ({ res, params, signal }) => {
    await sendTar(res, await archive.export(params.id, signal));
  });

  router.add('GET', '/containers/{id}/changes', ({ res, params }) => {
    const rec = engine.containers.store.get(params.id);
    const changes = containerChanges(engine.images.snapshots, `container-${rec.ID}`);
    // none: null, as dockerd answers
    sendJson(res, 200, changes.length ? changes : null);
  });

  router.add('POST', '/commit', async ({ req, res, query }) => {
    let config: ContainerConfig | undefined;
    try {
      config = await readJsonBody<ContainerConfig>(req);
    } catch (err) {
      throw invalidArgument(`invalid JSON: ${(err as Error).message}`);
    }
    const pause = query.get('pause');
    const r = await commitContainer(engine, {
      container: query.get('container') ?? '',
      repo: query.get('repo') ?? undefined,
      tag: query.get('tag') ?? undefined,
      author: query.get('author') ?? undefined,
      comment: query.get('comment') ?? undefined,
      pause: pause === null || pause === '' ? true : truthy(pause),
      changes: query.getAll('changes'),
      config: config ?? null,
    });
    sendJson(res, 201, r);
  });
}
