// /containers/*: create, list, inspect, start, stop, restart, kill, remove, wait, attach,
// resize, pause, unpause, rename, prune.

import type { ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import { conflict, invalidArgument } from '../../common/errors.ts';
import { encodeFrame } from '../../common/frames.ts';
import { checkDetachKeys } from '../../engine/containers/attach.ts';
import type { CreateBody } from '../../engine/containers/containers.ts';
import type { ExecConfig } from '../../engine/containers/execs.ts';
import { parseLogsQuery } from '../../engine/containers/logs.ts';
import { encodeStats } from '../../engine/containers/stats.ts';
import type { Engine } from '../../engine/engine.ts';
import { parseFilters } from '../../engine/events.ts';
import type { HostConfig } from '../../spec/docker/api.ts';
import { inspectForVersion, listForVersion } from './compat.ts';
import { parseJson, readJsonBody, sendJson, sendJsonBody } from './respond.ts';
import type { Context, Router } from './router.ts';

const truthy = (v: string | null) => v === '1' || v === 'true' || v === 'True';

function noContent(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}

function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw invalidArgument(`invalid value for ${name}: ${v}`);
  return n;
}

/**
 * Takes over the connection for a raw or multiplexed stream: `101 UPGRADED` when the client
 * asked for an upgrade (the docker CLI, docker-py, dockerode), else a 200 whose body is the stream.
 */
export function hijack(ctx: Context, tty: boolean): Duplex {
  const type = tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
  if (ctx.upgrade) {
    const { socket, head } = ctx.upgrade;
    ctx.res.setHeader('x-berth-hijacked', '1');
    ctx.res.detachSocket(socket as import('node:net').Socket);
    socket.write(
      `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${type}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
    );
    if (head.length) socket.unshift(head);
    return socket;
  }
  ctx.res.writeHead(200, { 'Content-Type': type });
  ctx.res.flushHeaders();
  return Duplex.from({ readable: ctx.req, writable: ctx.res });
}

export function containerRoutes(router: Router, engine: Engine): void {
  const containers = engine.containers;
  router.add('POST', '/containers/create', async ({ req, res, query }) => {
    let body: CreateBody | undefined;
    try {
      body = await readJsonBody<CreateBody>(req);
    } catch (err) {
      throw invalidArgument(`invalid JSON: ${(err as Error).message}`);
    }
    if (!body) throw invalidArgument('Config cannot be empty in order to create a container');
    const r = await containers.create(query.get('name') ?? undefined, body);
    sendJson(res, 201, r);
  });
  router.add('GET', '/containers/json', async ({ res, query, version }) => {
    const filters = parseFilters(query.get('filters') ?? undefined);
    const body = await containers.listBody({
      all: truthy(query.get('all')),
      limit: intParam(query, 'limit') ?? -1,
      size: truthy(query.get('size')),
      filters,
    });
    sendJsonBody(res, 200, listForVersion(body, version));
  });
  router.add('GET', '/containers/{id}/json', async ({ res, params, query, version }) => {
    const body = containers.inspect(params.id, engine.execs.idsOf(params.id));
    if (truthy(query.get('size'))) {
      const s = await containers.sizes(containers.store.get(params.id));
      Object.assign(body, { SizeRw: s.rw, SizeRootFs: s.rootFs });
    }
    sendJson(res, 200, inspectForVersion(body, version));
  });
  router.add('POST', '/containers/{id}/update', async ({ req, res, params }) => {
    const body = await readJsonBody<HostConfig>(req).catch((err: Error) => {
      throw invalidArgument(`invalid JSON: ${err.message}`);
    });
    sendJson(res, 200, await containers.update(params.id, body ?? {}));
  });
  router.add('POST', '/containers/prune', async ({ res, query }) => {
    sendJson(res, 200, await containers.prune(parseFilters(query.get('filters') ?? undefined)));
  });
  router.add('POST', '/containers/{id}/start', async ({ res, params }) => {
    await containers.start(params.id);
    noContent(res);
  });
  router.add('POST', '/containers/{id}/stop', async ({ res, params, query }) => {
    await containers.stop(params.id, {
      timeout: intParam(query, 't'),
      signal: query.get('signal') ?? undefined,
    });
    noContent(res);
  });
  router.add('POST', '/containers/{id}/restart', async ({ res, params, query }) => {
    await containers.restart(params.id, {
      timeout: intParam(query, 't'),
      signal: query.get('signal') ?? undefined,
    });
    noContent(res);
  });
  router.add('POST', '/containers/{id}/kill', async ({ res, params, query }) => {
    await containers.kill(params.id, query.get('signal') || 'SIGKILL');
    noContent(res);
  });
  router.add('DELETE', '/containers/{id}', async ({ res, params, query }) => {
    if (truthy(query.get('link'))) throw invalidArgument('links are not supported');
    await containers.remove(params.id, {
      force: truthy(query.get('force')),
      volumes: truthy(query.get('v')),
    });
    noContent(res);
  });
  router.add('POST', '/containers/{id}/wait', async ({ res, params, query }) => {
    const done = containers.wait(params.id, query.get('condition') ?? 'not-running');
    // the docker CLI calls wait before start: the status line goes out at once
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    const r = await done;
    res.end(`${JSON.stringify({ StatusCode: r.StatusCode, Error: r.Error })}\n`);
  });
  router.add('POST', '/containers/{id}/attach', async (ctx) => {
    const { params, query } = ctx;
    const rec = containers.store.get(params.id);
    if (!truthy(query.get('stream')) && !truthy(query.get('logs')))
      throw invalidArgument('Bad parameters: you must choose at least one stream');
    const keys = query.get('detachKeys');
    // checked before the connection is taken over, so the client gets dockerd's 400
    if (keys) checkDetachKeys(keys, `Invalid detach keys (${keys}) provided`);
    const stream = hijack(ctx, rec.Config.Tty === true);
    await containers.attach(params.id, stream, {
      stdin: truthy(query.get('stdin')),
      stdout: truthy(query.get('stdout')),
      stderr: truthy(query.get('stderr')),
      detachKeys: query.get('detachKeys') ?? undefined,
    });
  });
  router.add('POST', '/containers/{id}/resize', ({ res, params, query }) => {
    const h = intParam(query, 'h') ?? 0;
    const w = intParam(query, 'w') ?? 0;
    containers.resize(params.id, h, w);
    res.writeHead(200, { 'Content-Length': 0 });
    res.end();
  });
  router.add('POST', '/containers/{id}/pause', async ({ res, params }) => {
    await containers.pause(params.id);
    noContent(res);
  });
  router.add('POST', '/containers/{id}/unpause', async ({ res, params }) => {
    await containers.unpause(params.id);
    noContent(res);
  });
  router.add('POST', '/containers/{id}/exec', async ({ req, res, params }) => {
    const body = await readJsonBody<ExecConfig>(req).catch((err: Error) => {
      throw invalidArgument(`invalid JSON: ${err.message}`);
    });
    sendJson(res, 201, engine.execs.create(params.id, body ?? {}));
  });
  router.add('POST', '/exec/{id}/start', async (ctx) => {
    type StartBody = { Detach?: boolean; Tty?: boolean };
    const body =
      (ctx.upgrade
        ? parseJson<StartBody>(ctx.upgrade.body)
        : await readJsonBody<StartBody>(ctx.req).catch(() => undefined)) ?? {};
    if (body.Detach) {
      await engine.execs.start(ctx.params.id);
      ctx.res.writeHead(200, { 'Content-Length': 0 });
      ctx.res.end();
      return;
    }
    const info = engine.execs.inspect(ctx.params.id);
    if (info.Running || info.ExitCode !== null)
      throw conflict(`Error: Exec command ${ctx.params.id} has already run`);
    const stream = hijack(ctx, info.ProcessConfig.tty);
    try {
      await engine.execs.start(ctx.params.id, stream);
    } catch (err) {
      // as dockerd: the error on the (multiplexed) stdout stream; the exec's exit code says 126
      const msg = Buffer.from(`${(err as Error).message}\r\n`);
      stream.end(info.ProcessConfig.tty ? msg : encodeFrame(1, msg));
    }
  });
  router.add('POST', '/exec/{id}/resize', ({ res, params, query }) => {
    engine.execs.resize(params.id, intParam(query, 'h') ?? 0, intParam(query, 'w') ?? 0);
    res.writeHead(200, { 'Content-Length': 0 });
    res.end();
  });
  router.add('GET', '/exec/{id}/json', ({ res, params }) => {
    sendJson(res, 200, engine.execs.inspect(params.id));
  });
  router.add('GET', '/containers/{id}/logs', async ({ res, params, query, signal }) => {
    const logs = containers.logs(params.id, parseLogsQuery(query), signal);
    res.writeHead(200, {
      'Content-Type': logs.tty
        ? 'application/vnd.docker.raw-stream'
        : 'application/vnd.docker.multiplexed-stream',
    });
    res.flushHeaders();
    for await (const chunk of logs.chunks) {
      if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
    }
    res.end();
  });
  router.add('GET', '/containers/{id}/top', async ({ res, params, query, signal }) => {
    sendJson(res, 200, await containers.top(params.id, query.get('ps_args') ?? '', signal));
  });
  router.add('GET', '/containers/{id}/stats', async ({ res, params, query, signal }) => {
    const samples = containers.stats(params.id, {
      stream: query.get('stream') === null ? true : truthy(query.get('stream')),
      oneShot: truthy(query.get('one-shot')),
      signal,
    });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    for await (const s of samples) res.write(`${encodeStats(s)}\n`);
    res.end();
  });
  router.add('POST', '/containers/{id}/rename', ({ res, params, query }) => {
    containers.rename(params.id, query.get('name') ?? '');
    noContent(res);
  });
}
