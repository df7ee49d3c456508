import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  allocate,
  chooseSubnet,
  contains,
  formatAddress,
  formatPrefix,
  macFor,
  overlaps,
  parseAddress,
  parsePrefix,
} from './ipam.ts';

test('addresses parse and format, IPv4 and IPv6 (RFC 5952 zero compression)', () => {
  assert.deepEqual(parseAddress('10.1.2.3'), { family: 4, value: 0x0a010203n });
  assert.equal(parseAddress('256.1.1.1'), undefined);
  assert.equal(parseAddress('1.2.3'), undefined);
  for (const text of [
    '::',
    '::1',
    'fd00::2',
    '2001:db8::1:0:0:1',
    'fe80::42:aff:fe7b:2',
    '1:2:3:4:5:6:7:8',
  ]) {
    const a = parseAddress(text);
    assert.equal(a?.family, 6, text);
    assert.equal(formatAddress(6, a.value), text);
  }
  assert.equal(formatAddress(6, parseAddress('::ffff:1.2.3.4')!.value), '::ffff:102:304');
  assert.equal(parseAddress('1::2::3'), undefined);
  assert.equal(parseAddress('1:2:3:4:5:6:7'), undefined);
});

test('prefixes: host bits are refused in subnets, overlap and containment', () => {
  const p = parsePrefix('10.88.0.0/16');
  assert.equal(formatPrefix(p), '10.88.0.0/16');
  assert.throws(
    () => parsePrefix('10.88.0.1/16'),
    /invalid subnet 10\.88\.0\.1\/16: it should be 10\.88\.0\.0\/16/,
  );
  assert.throws(() => parsePrefix('10.88.0.0/33'), /invalid CIDR address/);
  assert.throws(() => parsePrefix('nonsense'), /invalid CIDR address/);
  assert.ok(overlaps(p, parsePrefix('10.88.4.0/24')));
  assert.ok(overlaps(parsePrefix('10.0.0.0/8'), p));
  assert.ok(!overlaps(p, parsePrefix('10.89.0.0/16')));
  assert.ok(!overlaps(p, parsePrefix('fd00::/64')));
  assert.ok(contains(p, 4, parseAddress('10.88.255.255')!.value));
  assert.ok(!contains(p, 4, parseAddress('10.89.0.0')!.value));
});

test('a free subnet avoids the host routes and the other networks', () => {
  const pools = [
    { base: '172.17.0.0/16', size: 16 },
    { base: '172.18.0.0/15', size: 16 },
  ];
  assert.equal(formatPrefix(chooseSubnet(pools, [])!), '172.17.0.0/16');
  const taken = [parsePrefix('172.17.0.0/16'), parsePrefix('172.18.5.0/24')];
  assert.equal(formatPrefix(chooseSubnet(pools, taken)!), '172.19.0.0/16');
  assert.equal(chooseSubnet(pools, [parsePrefix('172.16.0.0/12')]), undefined);
});

test('addresses are handed out after the last one, skipping the network, broadcast and used ones', () => {
  const p = parsePrefix('10.0.0.0/29');
  const used = new Set([parseAddress('10.0.0.1')!.value]);
  const a = allocate(p, used)!;
  assert.equal(formatAddress(4, a), '10.0.0.2');
  used.add(a);
  assert.equal(formatAddress(4, allocate(p, used, undefined, a)!), '10.0.0.3');
  // wraps around, never the broadcast .7
  assert.equal(
    formatAddress(4, allocate(p, new Set(), undefined, parseAddress('10.0.0.6')!.value)!),
    '10.0.0.1',
  );
  const full = new Set([1n, 2n, 3n, 4n, 5n, 6n].map((n) => p.base + n));
  assert.equal(allocate(p, full), undefined);
  // an IP range inside the subnet
  const range = parsePrefix('10.0.0.4/30');
  assert.equal(formatAddress(4, allocate(p, new Set(), range)!), '10.0.0.4');
  assert.equal(macFor(4, parseAddress('172.17.0.2')!.value), '02:42:ac:11:00:02');
});
