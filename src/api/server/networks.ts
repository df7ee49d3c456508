// /networks/*: list, inspect, create, remove, connect, disconnect, prune.

import { invalidArgument } from '../../common/errors.ts';
import type { Engine } from '../../engine/engine.ts';
import { parseFilters } from '../../engine/events.ts';
import type { EndpointRequest, NetworkCreateRequest } from '../../spec/docker/network.ts';
import { readJsonBody, sendJson } from './respond.ts';
import type { Router } from './router.ts';

export function networkRoutes(router: Router, engine: Engine): void {
  const networks = engine.networks;
  router.add('GET', '/networks', ({ res, query }) => {
    sendJson(res, 200, networks.list(parseFilters(query.get('filters') ?? undefined)));
  });
  router.add('GET', '/networks/{id}', ({ res, params }) => {
    sendJson(res, 200, networks.inspect(params.id));
  });
  router.add('POST', '/networks/create', async ({ req, res }) => {
    const body = (await readJsonBody(req)) as NetworkCreateRequest | undefined;
    if (!body || typeof body !== 'object')
      throw invalidArgument('invalid JSON: a network create request is an object');
    sendJson(res, 201, await networks.create(body));
  });
  router.add('DELETE', '/networks/{id}', async ({ res, params }) => {
    await networks.remove(params.id);
    res.writeHead(204);
    res.end();
  });
  router.add('POST', '/networks/prune', async ({ res, query }) => {
    sendJson(res, 200, await networks.prune(parseFilters(query.get('filters') ?? undefined)));
  });
  router.add('POST', '/networks/{id}/connect', async ({ req, res, params }) => {
    const body = ((await readJsonBody(req)) ?? {}) as {
      Container?: string;
      EndpointConfig?: EndpointRequest;
    };
    if (!body.Container) throw invalidArgument('a container name or ID is required (Container)');
    await engine.containers.connect(params.id, body.Container, body.EndpointConfig ?? undefined);
    res.writeHead(200);
    res.end();
  });
  router.add('POST', '/networks/{id}/disconnect', async ({ req, res, params }) => {
    const body = ((await readJsonBody(req)) ?? {}) as { Container?: string; Force?: boolean };
    if (!body.Container) throw invalidArgument('a container name or ID is required (Container)');
    await engine.containers.disconnect(params.id, body.Container, body.Force === true);
    res.writeHead(200);
    res.end();
  });
}
