// The commands end to end against a fake daemon (no docker needed): requests, output, errors,
// exit statuses; compare.test.ts checks the same against the real docker CLI where it exists.

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { ApiClient } from '../../../api/client/client.ts';
import type { CommandContext } from '../../command.ts';
import { findCommand } from '../../registry.ts';
import { argsError } from './common.ts';
import { type FakeDaemon, fakeDaemon } from './testdata/fake-daemon.ts';

let daemon: FakeDaemon;
before(async () => {
  daemon = await fakeDaemon((r) => {
    if (r.path.startsWith('/networks/missing'))
      return { status: 404, body: { message: 'network missing not found' } };
    if (r.path === '/networks/create') return { status: 201, body: { Id: 'abc123', Warning: '' } };
    if (r.path === '/networks') return { status: 200, body: [] };
    if (r.method === 'GET') return { status: 200, body: { Name: r.path.slice(10), Ingress: false } };
    return { status: 200 };
  });
});
after(() => daemon.close());

/** Runs `berth WORDS…` through the registry; what it sent, printed and returned. */
async function berth(...words: string[]) {
  const found = await findCommand(words);
  assert.ok(found, words.join(' '));
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) => {
    const s = new PassThrough();
    s.on('data', (d) => add(String(d)));
    return s;
  };
  const ctx: CommandContext = {
    client: async () => new ApiClient(`unix://${daemon.socket}`),
    out: sink((s) => (out += s)),
    err: sink((s) => (err += s)),
    signal: new AbortController().signal,
  };
  daemon.requests.length = 0;
  const status = await found.command.run(ctx, {}, []);
  await new Promise((r) => setImmediate(r));
  return {
    status,
    out,
    err,
    requests: daemon.requests.map(({ method, path, query, body }) => ({ method, path, query, body })),
  };
}

test('create prints the ID; aliases find the same commands', async () => {
  const r = await berth('network', 'create', '--label', 'x=y', 'n1');
  assert.equal(r.out, 'abc123\n');
  assert.equal(r.requests[0].path, '/networks/create');
  assert.equal((await findCommand(['network', 'list']))?.command.path.join(' '), 'network ls');
  assert.equal((await findCommand(['network', 'remove', 'x']))?.command.path.join(' '), 'network rm');
});

test('client-side errors: nothing is sent; main prints the message, exit status 1 (not 125)', async () => {
  daemon.requests.length = 0;
  await assert.rejects(berth('network', 'create', '--subnet', '10.0.0.0/24', '--gateway', '10.1.0.1', 'a'), {
    message: 'no matching subnet for gateway 10.1.0.1',
    kind: 'Internal',
  });
  await assert.rejects(berth('network', 'connect', '--driver-opt', 'x', 'n', 'c'), {
    message: 'invalid key/value pair format in driver options',
    kind: 'Internal',
  });
  assert.deepEqual(daemon.requests, []);
});

test('ls sends the filters as docker does', async () => {
  const r = await berth('network', 'ls', '-f', 'driver=bridge', '--filter', 'name=a', '-f', 'name=b');
  assert.deepEqual(r.requests[0].query, { filters: '{"driver":{"bridge":true},"name":{"a":true,"b":true}}' });
  assert.equal(r.out, 'NETWORK ID   NAME      DRIVER    SCOPE\n');
});

test('inspect: the found ones, then the errors; exit status 1', async () => {
  const r = await berth('network', 'inspect', 'n1', 'missing', '-f', '{{.Name}}');
  assert.equal(r.out, 'n1\n');
  assert.equal(r.err, 'Error response from daemon: network missing not found\n');
  assert.equal(r.status, 1);
  const bad = await berth('network', 'inspect', '-f', '{{.Foo', 'n1');
  assert.equal(bad.status, 64);
  assert.match(bad.err, /^template parsing error: template: :1: unclosed action\n$/);
  assert.deepEqual(bad.requests, []);
});

test('rm: removed names, errors, and docker\'s "exit status 1"; -f hides a missing one', async () => {
  const r = await berth('network', 'rm', 'n1', 'missing');
  assert.equal(r.out, 'n1\n');
  assert.equal(r.err, 'Error response from daemon: network missing not found\nexit status 1\n');
  assert.equal(r.status, 1);
  assert.deepEqual(
    r.requests.map((q) => `${q.method} ${q.path}`),
    ['GET /networks/n1', 'DELETE /networks/n1', 'GET /networks/missing', 'DELETE /networks/missing'],
  );
  const forced = await berth('network', 'rm', '-f', 'missing');
  assert.deepEqual([forced.status, forced.out, forced.err], [0, '', '']);
});

test('connect and disconnect: the bodies; daemon errors exit 1', async () => {
  const r = await berth('network', 'disconnect', '-f', 'net', 'ctr');
  assert.deepEqual(r.requests[0], {
    method: 'POST',
    path: '/networks/net/disconnect',
    query: {},
    body: { Container: 'ctr', Force: true },
  });
  const missing = await berth('network', 'connect', 'missing', 'ctr');
  assert.deepEqual(
    [missing.status, missing.err],
    [1, 'Error response from daemon: network missing not found\n'],
  );
});

test('docker 28 texts for bad flags and argument counts', async () => {
  const unknown = await berth('network', 'create', '--bogus', 'x');
  assert.equal(unknown.status, 125);
  assert.equal(
    unknown.err,
    "unknown flag: --bogus\n\nUsage:  berth network create [OPTIONS] NETWORK\n\nRun 'berth network create --help' for more information\n",
  );
  const none = await berth('network', 'create');
  assert.equal(none.status, 1);
  assert.equal(
    none.err,
    "berth: 'berth network create' requires 1 argument\n\nUsage:  berth network create [OPTIONS] NETWORK\n\nRun 'berth network create --help' for more information\n",
  );
  const usage = 'berth network ls [OPTIONS]';
  assert.equal(
    argsError(usage, { min: 0, max: 0 }, 1),
    "berth: 'berth network ls' accepts no arguments\n\nUsage:  berth network ls [OPTIONS]\n\nRun 'berth network ls --help' for more information\n",
  );
  assert.equal(
    argsError('berth network connect [OPTIONS] NETWORK CONTAINER', { min: 2, max: 2 }, 1)?.split('\n')[0],
    "berth: 'berth network connect' requires 2 arguments",
  );
  assert.equal(
    argsError('berth network rm NETWORK [NETWORK...]', { min: 1 }, 0),
    "berth: 'berth network rm' requires at least 1 argument\n\nUsage:  berth network rm NETWORK [NETWORK...]\n\nSee 'berth network rm --help' for more information\n",
  );
  const filter = await berth('network', 'prune', '--filter', 'x');
  assert.equal(filter.status, 125);
  assert.match(
    filter.err,
    /^invalid argument "x" for "--filter" flag: bad format of filter \(expected name=value\)\n/,
  );
});
