import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deleteScript, networkScript, tableName } from './nft.ts';

const base = {
  table: tableName('br-test'),
  bridge: 'br-test',
  subnets: ['10.88.0.0/24'],
  internal: false,
  masquerade: true,
  ports: [],
};

test('a network table is replaced whole in one script, touching no other table', () => {
  const s = networkScript(base);
  assert.ok(
    s.startsWith(
      'table inet berth-br-test {}\ndelete table inet berth-br-test\ntable inet berth-br-test {\n',
    ),
  );
  assert.doesNotMatch(s, /flush ruleset|table ip |table ip6 /);
  assert.match(s, /ip saddr 10\.88\.0\.0\/24 oifname != "br-test" masquerade/);
  assert.match(s, /oifname "br-test" ip saddr 127\.0\.0\.0\/8 masquerade/);
  assert.match(s, /oifname "br-test" ip saddr 10\.88\.0\.0\/24 ct status dnat masquerade/);
  // other berth networks only through published ports
  assert.match(s, /iifname "br-test" oifname != "br-test" oifgroup 1651668072 ct status != dnat drop/);
  assert.equal(
    deleteScript('berth-br-test'),
    'table inet berth-br-test {}\ndelete table inet berth-br-test\n',
  );
});

test('published ports become DNAT rules, by host address and family', () => {
  const s = networkScript({
    ...base,
    ports: [
      { proto: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, containerIp: '10.88.0.2', containerPort: 80 },
      { proto: 'udp', hostIp: '127.0.0.1', hostPort: 5353, containerIp: '10.88.0.2', containerPort: 53 },
      // an IPv6 wildcard does not apply to an IPv4 container
      { proto: 'tcp', hostIp: '::', hostPort: 8080, containerIp: '10.88.0.2', containerPort: 80 },
      { proto: 'tcp', hostIp: '', hostPort: 9000, containerIp: 'fd00::2', containerPort: 90 },
    ],
  });
  assert.match(s, /meta nfproto ipv4 tcp dport 8080 dnat ip to 10\.88\.0\.2:80\n/);
  assert.match(s, /ip daddr 127\.0\.0\.1 udp dport 5353 dnat ip to 10\.88\.0\.2:53\n/);
  assert.equal(s.match(/dport 8080/g)?.length, 1);
  assert.doesNotMatch(s, /dport 9000/); // '' means IPv4's wildcard
});

test('internal networks drop everything between the bridge and other interfaces, without masquerade', () => {
  const s = networkScript({ ...base, internal: true });
  assert.match(s, /iifname "br-test" oifname != "br-test" drop/);
  assert.match(s, /oifname "br-test" iifname != "br-test" drop/);
  assert.doesNotMatch(s, /oifname != "br-test" masquerade/);
});
