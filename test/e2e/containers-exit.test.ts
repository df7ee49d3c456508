// The moment an --rm container has exited and is not removed yet, seen inside berthd's engine:
// its `die` event is published (synchronously, to every subscriber) between the two, and what
// the list and inspect say then must agree.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { EngineEvent } from '../../src/common/events.ts';
import { Engine } from '../../src/engine/engine.ts';
import { EventBus } from '../../src/engine/events.ts';
import { makeBusyboxRootfs } from '../fixtures/busybox.ts';
import { defaultBridge, removeBridge } from './daemon-helpers.ts';

/** Calls `onEvent` as each event is published, before the engine goes on. */
class HookedBus extends EventBus {
  onEvent: (e: EngineEvent) => void = () => {};
  override publish(event: EngineEvent): void {
    super.publish(event);
    this.onEvent(event);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'berth-exit-'));
const net = defaultBridge(dir);
const events = new HookedBus();
let engine: Engine;

before(async () => {
  engine = await Engine.create(
    {
      dataRoot: join(dir, 'data'),
      execRoot: join(dir, 'exec'),
      storageDriver: 'overlay',
      logLevel: 'error',
      labels: [],
      debug: false,
      insecureRegistries: [],
      registryMirrors: [],
      bridge: net.bridge,
      bip: net.bip,
    },
    events,
  );
  makeBusyboxRootfs(join(dir, 'rootfs'));
  execFileSync('tar', ['-C', join(dir, 'rootfs'), '-cf', join(dir, 'rootfs.tar'), '.']);
  await engine.images.import(createReadStream(join(dir, 'rootfs.tar')), {
    reference: 'busybox:latest',
    changes: [],
  });
});

after(() => {
  engine?.close();
  removeBridge(net.bridge);
  rmSync(dir, { recursive: true, force: true });
});

test('an --rm container that exited is listed exited, as inspect shows it, until it is removed', async () => {
  const gate = join(dir, 'gate');
  mkdirSync(gate);
  const { Id: id } = await engine.containers.create('rm-exit', {
    Image: 'busybox',
    // it exits once the test has listed it running (a fixed sleep could end first on a slow machine)
    Cmd: ['sh', '-c', 'while [ ! -e /go/now ]; do sleep 0.05; done; exit 3'],
    HostConfig: { AutoRemove: true, NetworkMode: 'none', Binds: [`${gate}:/go`] },
  });
  const all = { all: true, limit: 0, size: false, filters: {} };
  await engine.containers.start(id);
  const seen: { inspected: string; listed: { State: string; Status: string }[] }[] = [];
  events.onEvent = (e) => {
    if (e.Type !== 'container' || e.Actor.ID !== id || e.Action !== 'die') return;
    // listBody's work is synchronous: its answer is the one of this moment
    const body = engine.containers.listBody(all);
    const inspected = (engine.containers.inspect(id).State as { Status: string }).Status;
    void body.then((b) => {
      const listed = (JSON.parse(b.toString()) as { Id: string; State: string; Status: string }[]).filter(
        (c) => c.Id === id,
      );
      seen.push({ inspected, listed });
    });
  };
  // listed while it runs: the list's entry for it is kept
  const running = JSON.parse(String(await engine.containers.listBody(all))) as { State: string }[];
  assert.equal(running[0]?.State, 'running');
  const removed = engine.containers.wait(id, 'removed');
  writeFileSync(join(gate, 'now'), '');
  await removed;
  await new Promise((resolve) => setImmediate(resolve));
  events.onEvent = () => {};
  assert.equal(seen.length, 1, 'one die event');
  assert.equal(seen[0].inspected, 'exited');
  assert.equal(seen[0].listed.length, 1);
  assert.equal(seen[0].listed[0].State, 'exited');
  assert.match(seen[0].listed[0].Status, /^Exited \(3\) /);
  assert.equal(engine.containers.store.find(id), undefined);
});
