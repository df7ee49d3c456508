import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseArgv } from '../../opts/flags.ts';
import { CREATE_FLAGS, createBody, type NetworkCreateRequest } from './create.ts';
import { consolidateIpam, subnetMatches } from './ipam.ts';

const DOCKER: Record<string, { args: string[]; body: unknown }> = JSON.parse(
  readFileSync(join(import.meta.dirname, 'testdata/docker-bodies.json'), 'utf8'),
);

const body = (argv: string[]) => {
  const parsed = parseArgv(argv, CREATE_FLAGS, true);
  return createBody(parsed.args[0], parsed);
};

test('the bodies the docker CLI 28 sent (testdata/docker-bodies.json; its subnets come in map order)', () => {
  const bySubnet = (b: { IPAM: { Config: { Subnet?: string }[] } }) => {
    b.IPAM.Config.sort((x, y) => String(x.Subnet).localeCompare(String(y.Subnet)));
    return b;
  };
  for (const name of ['create many flags', 'create no flags']) {
    const { args, body: sent } = DOCKER[name];
    assert.deepEqual(bySubnet(body(args)), bySubnet(sent as NetworkCreateRequest), name);
  }
});

test('EnableIPv4/EnableIPv6 only when given; config-from, driver, ingress', () => {
  const d = body(['n2']);
  assert.equal('EnableIPv4' in d || 'EnableIPv6' in d, false);
  const b = body([
    '--ipv4=false',
    '--ipv6=false',
    '--config-from',
    'base',
    '-d',
    'macvlan',
    'n3',
    '--ingress',
  ]);
  assert.equal(b.EnableIPv4, false);
  assert.equal(b.EnableIPv6, false);
  assert.deepEqual(b.ConfigFrom, { Network: 'base' });
  assert.equal(b.Driver, 'macvlan');
  assert.equal(b.Ingress, true);
});

test('a subnet alone is not checked on the client (the daemon does)', () => {
  assert.deepEqual(body(['--subnet', 'x', 'a']).IPAM.Config, [{ Subnet: 'x' }]);
});

test("consolidateIpam's errors, as the docker CLI words them", () => {
  const cases: [string[], string[], string[], Record<string, string>, string][] = [
    [['10.0.0.0/24'], [], ['10.1.0.1'], {}, 'no matching subnet for gateway 10.1.0.1'],
    [['x'], [], ['1.2.3.4'], {}, 'invalid subnet: invalid CIDR address: x'],
    [[], [], ['1.2.3.4'], {}, 'every ip-range or gateway must have a corresponding subnet'],
    [['10.0.0.0/8', '10.1.0.0/16'], [], [], {}, 'multiple overlapping subnet configuration is not supported'],
    [
      ['10.0.0.0/24', '10.0.0.0/24'],
      [],
      [],
      {},
      'multiple overlapping subnet configuration is not supported',
    ],
    [['10.0.0.0/24'], [], [], { x: '' }, 'no matching subnet for aux-address '],
    [['10.0.0.0/24'], ['10.0.0.0/33'], [], {}, 'invalid CIDR address: 10.0.0.0/33'],
    [['10.0.0.0/24'], ['10.9.0.0/25'], [], {}, 'no matching subnet for range 10.9.0.0/25'],
    [['10.0.0.0/24'], [], ['bogus'], {}, 'no matching subnet for gateway bogus'],
    [
      ['10.0.0.0/24', '10.0.1.0/24'],
      ['10.0.0.0/25', '10.0.0.128/25'],
      [],
      {},
      'cannot configure multiple ranges (10.0.0.128/25, 10.0.0.0/25) on the same subnet (10.0.0.0/24)',
    ],
    [
      ['10.0.0.0/24', '10.0.1.0/24'],
      [],
      ['10.0.0.1', '10.0.0.2'],
      {},
      'cannot configure multiple gateways (10.0.0.2, 10.0.0.1) for the same subnet (10.0.0.0/24)',
    ],
  ];
  for (const [subnets, ranges, gateways, aux, message] of cases) {
    assert.throws(() => consolidateIpam(subnets, ranges, gateways, aux), { message }, message);
  }
});

test('subnetMatches: IPv4, IPv6, IPv4-mapped addresses, CIDR data', () => {
  assert.equal(subnetMatches('10.0.0.0/24', '10.0.0.255'), true);
  assert.equal(subnetMatches('10.0.0.0/24', '10.0.1.0'), false);
  assert.equal(subnetMatches('10.0.0.0/24', '::ffff:10.0.0.1'), true);
  assert.equal(subnetMatches('fd00::/64', 'fd00::1:2'), true);
  assert.equal(subnetMatches('fd00::/64', 'fd00:0:0:1::1'), false);
  assert.equal(subnetMatches('fd00::/64', '10.0.0.1'), false);
  assert.equal(subnetMatches('10.0.0.0/8', '10.1.0.0/16'), true);
  assert.equal(subnetMatches('10.1.0.0/16', '10.0.0.0/8'), false);
  assert.equal(subnetMatches('0.0.0.0/0', '1.2.3.4'), true);
  assert.equal(subnetMatches('10.0.0.0/20', '10.0.15.9'), true);
  assert.equal(subnetMatches('10.0.0.0/20', '10.0.16.9'), false);
  assert.throws(() => subnetMatches('10.0.0.0', '1.2.3.4'), {
    message: 'invalid subnet: invalid CIDR address: 10.0.0.0',
  });
});
