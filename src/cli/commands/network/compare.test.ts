// The strongest check: the real docker CLI 28 (when on the PATH) and bin/berth run the same
// network commands against one fake daemon; what each sends, prints and exits with must match.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type FakeDaemon, fakeDaemon, type Recorded, runCli } from './testdata/fake-daemon.ts';

const BERTH = join(import.meta.dirname, '../../../../bin/berth');
const hasDocker = spawnSync('docker', ['--version']).status === 0;

const LIST = [
  { Name: 'zeta', Id: 'f'.repeat(64), Driver: 'bridge', Scope: 'local', Labels: { a: 'b' } }, // docker joins several in map order
  {
    Name: 'a10',
    Id: 'e'.repeat(64),
    Driver: 'bridge',
    Scope: 'local',
    Created: '2024-05-01T10:00:00.123456789Z',
  },
  { Name: 'a2', Id: 'd'.repeat(64), Driver: 'host', Scope: 'local', EnableIPv6: true, Internal: true },
  { Name: 'B', Id: 'c'.repeat(64), Driver: 'null', Scope: 'local' },
];

let daemon: FakeDaemon;
before(async () => {
  daemon = await fakeDaemon((r: Recorded) => {
    const missing = r.path.startsWith('/networks/missing');
    if (r.path.startsWith('/containers/') || r.path.startsWith('/images/'))
      return { status: 404, body: { message: `No such object: ${r.path}` } };
    if (missing) return { status: 404, body: { message: 'network missing not found' } };
    if (r.path === '/networks/create') return { status: 201, body: { Id: 'abc123', Warning: '' } };
    if (r.path === '/networks') return { status: 200, body: LIST };
    if (r.path === '/networks/prune') return { status: 200, body: { NetworksDeleted: ['n1', 'n2'] } };
    if (r.path === '/networks/busy/connect') return { status: 403, body: { message: 'endpoint busy' } };
    if (r.method === 'GET' && r.path.startsWith('/networks/')) {
      const Name = r.path.slice('/networks/'.length);
      return {
        status: 200,
        body: { Name, Id: 'a<b&c', Ingress: Name === 'ingress', Options: {}, Labels: null },
      };
    }
    return { status: 200 };
  });
});
after(() => daemon.close());

/** What one CLI did: the requests (IPAM configs in subnet order), output with its own name. */
async function observe(program: string, args: string[], stdin: string) {
  daemon.requests.length = 0;
  const res = await runCli(program, daemon.socket, args, stdin);
  const requests = daemon.requests.map((r) => {
    const ipam = (r.body as { IPAM?: { Config?: { Subnet: string }[] } } | undefined)?.IPAM;
    ipam?.Config?.sort((a, b) => a.Subnet.localeCompare(b.Subnet));
    return r;
  });
  const name = program === 'docker' ? 'docker' : 'berth';
  const own = (s: string) => s.replaceAll(`${name} network`, 'CLI network').replaceAll(`${name}:`, 'CLI:');
  return { requests, status: res.status, stdout: own(res.stdout), stderr: own(res.stderr) };
}

const CASES: { args: string[]; stdin?: string }[] = [
  {
    args: [
      ...['network', 'create', '--subnet', '10.1.0.0/16,fd00::/64', '--gateway', '10.1.0.1'],
      ...['--ip-range', '10.1.2.0/24', '--aux-address', 'h=10.1.0.5', '--aux-address', 'k=fd00::5'],
      ...['-o', 'com.x=1', '--label', 'a=b', '--label', 'c', '--internal', '--attachable', '--ipv6'],
      ...['--ipam-opt', 'q=r', 'n1'],
    ],
  },
  { args: ['network', 'create', 'n2'] },
  {
    args: [
      ...['network', 'create', '--ipv4=false', '--scope', 'local', '--config-only', '--config-from', 'base'],
      ...['n3', '--ingress', '-d', 'macvlan', '--ipam-driver', 'x', '--ipv6=false'],
    ],
  },
  { args: ['network', 'create', '--subnet', 'x', 'a'] },
  { args: ['network', 'create', '--subnet', '10.0.0.0/24', '--gateway', '10.1.0.1', 'a'] },
  { args: ['network', 'create', '--subnet', 'x', '--gateway', '1.2.3.4', 'a'] },
  { args: ['network', 'create', '--gateway', '1.2.3.4', 'a'] },
  { args: ['network', 'create', '--subnet', '10.0.0.0/8', '--subnet', '10.1.0.0/16', 'a'] },
  { args: ['network', 'create', '--subnet', '10.0.0.0/24', '--aux-address', 'x', 'z'] },
  { args: ['network', 'create', '--subnet', '10.0.0.0/24', '--ip-range', '10.0.0.0/33', 'z'] },
  {
    args: [
      'network',
      'create',
      '--subnet',
      '10.0.0.0/24,10.0.1.0/24',
      '--ip-range',
      '10.0.0.0/25,10.0.0.128/25',
      'z',
    ],
  },
  { args: ['network', 'create', '--subnet', '10.0.0.0/24,fd00::/64', '--gateway', '::ffff:10.0.0.1', 'z'] },
  { args: ['network', 'create', '--label', '', 'z'] },
  { args: ['network', 'create', '--bogus', 'z'] },
  { args: ['network', 'create'] },
  { args: ['network', 'create', 'a', 'b'] },
  {
    args: [
      ...['network', 'connect', '--alias', 'a,b', '--alias', 'c', '--ip', '10.0.0.5', '--ip6', 'fd00::5'],
      ...['--link', 'web:w', '--link', 'db', '--link-local-ip', '169.254.1.1', '--driver-opt', 'k=v, x = y '],
      ...['--gw-priority', '5', 'net', 'ctr'],
    ],
  },
  { args: ['network', 'connect', 'net', 'ctr'] },
  { args: ['network', 'connect', 'busy', 'ctr'] },
  { args: ['network', 'connect', '--driver-opt', 'bad', 'net', 'ctr'] },
  { args: ['network', 'connect', '--link', 'a:b:c', 'net', 'ctr'] },
  { args: ['network', 'connect', '--gw-priority', 'x', 'net', 'ctr'] },
  { args: ['network', 'connect', 'net'] },
  { args: ['network', 'disconnect', 'net', 'ctr'] },
  { args: ['network', 'disconnect', 'net', '-f', 'ctr'] },
  { args: ['network', 'disconnect', 'missing', 'ctr'] },
  { args: ['network', 'ls'] },
  { args: ['network', 'list', '-f', 'driver=bridge', '--filter', 'name=a', '-f', 'name=b', '--no-trunc'] },
  { args: ['network', 'ls', '-q'] },
  { args: ['network', 'ls', '-q', '--filter', 'type=custom', '--filter', 'dangling=true'] },
  { args: ['network', 'ls', '--format', '{{.Name}} {{.IPv6}} {{.Internal}} {{.Labels}} {{.Label "a"}}'] },
  { args: ['network', 'ls', '--format', 'json'] },
  { args: ['network', 'ls', '--format', 'table {{.ID}}\\t{{.CreatedAt}}'] },
  { args: ['network', 'ls', '-f', 'x'] },
  { args: ['network', 'ls', 'x'] },
  { args: ['network', 'inspect', 'n1', 'missing', 'n2'] },
  { args: ['network', 'inspect', '-v', '-f', '{{.Name}}', 'n1'] },
  { args: ['network', 'inspect', 'missing'] },
  { args: ['network', 'inspect', '-f', '{{.Foo', 'n1'] },
  { args: ['network', 'inspect', '-f', 'json', 'n1', 'n2'] },
  { args: ['network', 'inspect', '-f', 'json', 'missing'] },
  { args: ['network', 'inspect', '-f', '{{json .Id}} {{.Options}} {{.Name}}', 'n1', '--verbose'] },
  { args: ['inspect', 'n1'] },
  { args: ['network', 'rm', 'n1', 'missing', 'n2'] },
  { args: ['network', 'remove', '-f', 'n1', 'missing'] },
  { args: ['network', 'rm', 'ingress'], stdin: 'n\n' },
  { args: ['network', 'rm'] },
  { args: ['network', 'prune'], stdin: 'y\n' },
  { args: ['network', 'prune'], stdin: 'n\n' },
  { args: ['network', 'prune', '-f', '--filter', 'until=24h', '--filter', 'label=a'] },
  { args: ['network', 'prune', 'x'] },
];

for (const c of CASES) {
  test(`docker ${c.args.join(' ')}`, { skip: !hasDocker && 'docker is not on the PATH' }, async () => {
    const docker = await observe('docker', c.args, c.stdin ?? '');
    const berth = await observe(BERTH, c.args, c.stdin ?? '');
    assert.deepEqual(berth, docker);
  });
}
