import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeEvent } from '../common/events.ts';
import { EventBus } from './events.ts';

test('subscribe until a time further off than a timer holds (2^31 ms): the stream stays open', async () => {
  const bus = new EventBus();
  const ac = new AbortController();
  const month = 30 * 24 * 3600 * 1000;
  const events = bus.subscribe({ until: (Date.now() + month) * 1e6 }, ac.signal);
  setTimeout(() => bus.publish(makeEvent('container', 'start', 'c1')), 50);
  const first = await events.next();
  assert.equal(first.done, false);
  assert.equal(first.value?.Action, 'start');
  ac.abort();
  assert.equal((await events.next()).done, true);
});

test('subscribe until a time just ahead: the stream ends then', async () => {
  const bus = new EventBus();
  const events = bus.subscribe({ until: (Date.now() + 20) * 1e6 }, new AbortController().signal);
  assert.equal((await events.next()).done, true);
});
