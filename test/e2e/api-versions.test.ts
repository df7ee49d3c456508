// Container inspect and list through berthd's API at the versions clients pin: what an older
// version shows of a container's endpoints (no DNSNames before 1.44; before 1.45 the short ID and
// hostname among a user-defined network's aliases), as dockerd shows it, and what the list shows
// of them (addresses only, as dockerd lists them).

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import {
  cleanup,
  type Daemon,
  docker,
  importBusybox,
  removeAllContainers,
  removeBridge,
  startDaemon,
} from './daemon-helpers.ts';

const octet = process.pid % 250;
const SUBNET = `10.${210 + (octet % 40)}.${Math.floor(octet / 40) + 150}.0/24`;
const BRIDGE = `bv${process.pid % 100000}`;

let d: Daemon;
before(async () => {
  d = await startDaemon();
  importBusybox(d);
});
after(async () => {
  removeAllContainers(d);
  docker(d, ['network', 'rm', 'vnet']);
  removeBridge(BRIDGE);
  await cleanup(d);
});

function get(path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(body))));
    });
    req.on('error', reject);
    req.end();
  });
}

type Endpoint = Record<string, unknown>;
const endpointOf = async (version: string) =>
  (
    (await get(`/v${version}/containers/web1/json`)) as {
      NetworkSettings: { Networks: Record<string, Endpoint> };
    }
  ).NetworkSettings.Networks.vnet;
const listedOf = async (version: string) => {
  const list = (await get(`/v${version}/containers/json`)) as {
    Names: string[];
    NetworkSettings: { Networks: Record<string, Endpoint> };
  }[];
  return list.find((c) => c.Names[0] === '/web1')?.NetworkSettings.Networks.vnet;
};

test('inspect and list of a container on a user network, at API 1.41, 1.43, 1.44 and 1.45', async () => {
  const net = docker(d, [
    'network',
    'create',
    '--subnet',
    SUBNET,
    '-o',
    `com.docker.network.bridge.name=${BRIDGE}`,
    'vnet',
  ]);
  assert.equal(net.status, 0, net.stderr);
  const run = docker(d, [
    'run',
    '-d',
    '--name',
    'web1',
    '--hostname',
    'myhost',
    '--network',
    'vnet',
    '--network-alias',
    'web',
    'busybox',
    'sleep',
    '1000',
  ]);
  assert.equal(run.status, 0, run.stderr);
  const short = run.stdout.trim().slice(0, 12);

  for (const v of ['1.41', '1.43']) {
    const e = await endpointOf(v);
    assert.equal('DNSNames' in e, false, `no DNSNames at ${v}`);
    assert.deepEqual(e.Aliases, ['web', short, 'myhost'], v);
    assert.match(String(e.IPAddress), /^10\./);
  }
  const at144 = await endpointOf('1.44');
  assert.deepEqual(at144.DNSNames, ['web1', 'web', short]);
  assert.deepEqual(at144.Aliases, ['web', short, 'myhost']);
  const at145 = await endpointOf('1.45');
  assert.deepEqual(at145.DNSNames, ['web1', 'web', short]);
  assert.deepEqual(at145.Aliases, ['web']);
  // the docker CLI negotiates 1.45
  const cli = docker(d, [
    'inspect',
    '-f',
    '{{json (index .NetworkSettings.Networks "vnet").Aliases}}',
    'web1',
  ]);
  assert.equal(cli.stdout.trim(), '["web"]');

  // listed: addresses and IDs; aliases, links and names are inspect's
  const listed = await listedOf('1.45');
  assert.ok(listed);
  assert.equal(listed.IPAddress, at145.IPAddress);
  assert.equal(listed.EndpointID, at145.EndpointID);
  assert.equal(listed.Aliases, null);
  assert.equal(listed.Links, null);
  assert.equal(listed.DNSNames, null);
  const listedOld = await listedOf('1.41');
  assert.ok(listedOld);
  assert.equal('DNSNames' in listedOld, false);
  assert.equal(listedOld.IPAddress, at145.IPAddress);
});
