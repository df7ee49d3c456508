import assert from 'node:assert/strict';
import { test } from 'node:test';
import { naturalLess, portLines } from './port.ts';

const PORTS = {
  '80/tcp': [
    { HostIp: '0.0.0.0', HostPort: '8080' },
    { HostIp: '::', HostPort: '8080' },
  ],
  '9/udp': [{ HostIp: '127.0.0.1', HostPort: '9009' }],
  '443/tcp': null,
};

test('every published port, in natural order, IPv6 hosts bracketed', () => {
  assert.deepEqual(portLines(PORTS, 'web'), [
    '9/udp -> 127.0.0.1:9009',
    '80/tcp -> 0.0.0.0:8080',
    '80/tcp -> [::]:8080',
  ]);
});

test('one port: its host addresses; tcp when no protocol is given', () => {
  assert.deepEqual(portLines(PORTS, 'web', '80'), ['0.0.0.0:8080', '[::]:8080']);
  assert.deepEqual(portLines(PORTS, 'web', '9/udp'), ['127.0.0.1:9009']);
  assert.throws(() => portLines(PORTS, 'web', '443'), {
    message: "Error: No public port '443' published for web",
  });
  assert.throws(() => portLines(PORTS, 'web', 'x'), {
    message: 'Error: invalid port (x): strconv.ParseUint: parsing "x": invalid syntax',
  });
});

test('naturalLess compares digit runs as numbers', () => {
  assert.equal(naturalLess('9/udp', '80/tcp'), true);
  assert.equal(naturalLess('80/tcp', '443/tcp'), true);
  assert.equal(naturalLess('a2', 'a10'), true);
  assert.equal(naturalLess('a10', 'a2'), false);
  assert.equal(naturalLess('a', 'a'), false);
});
