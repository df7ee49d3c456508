import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostInterface, strays } from './strays.ts';

const id = (c: string) => c.repeat(64);
const net = (c: string) => c.repeat(64);

test('the namespaces and host veths of containers no longer known are strays; known ones are not', () => {
  const known = new Set([id('a'), id('b')]);
  const found = strays(
    {
      netns: [id('a'), id('c'), 'not-a-container'],
      bridges: [
        {
          networkId: net('1'),
          // a known container's veth (running or not), a forgotten one's, a port of another name
          ports: [hostInterface(id('a'), net('1')), hostInterface(id('c'), net('1')), 'eth9', 'vethzzzzzzz'],
        },
        // b's veth on network 2 is known even if its record no longer names that network
        { networkId: net('2'), ports: [hostInterface(id('b'), net('2')), hostInterface(id('d'), net('2'))] },
        { networkId: net('3'), ports: [] },
      ],
    },
    known,
  );
  assert.deepEqual(found, {
    netns: [id('c')],
    links: [hostInterface(id('c'), net('1')), hostInterface(id('d'), net('2'))],
  });
});

test('a known container’s veth is never a stray, on whichever of the bridges it is', () => {
  const found = strays(
    {
      netns: [],
      bridges: [
        { networkId: net('1'), ports: [] },
        { networkId: net('2'), ports: [hostInterface(id('a'), net('1'))] },
      ],
    },
    new Set([id('a')]),
  );
  assert.deepEqual(found, { netns: [], links: [] });
});
