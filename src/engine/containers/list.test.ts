import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { summary } from './inspect.ts';
import { ListCache } from './list.ts';
import { type ContainerRecord, ContainerStore, initialState } from './record.ts';
import { runningRecord } from './testutil.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-list-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const store = new ContainerStore(dir);

const started = new Date(Date.now() - 3 * 60_000).toISOString();
function record(id: string, extra: Partial<ContainerRecord> = {}): ContainerRecord {
  const rec = runningRecord(id.padStart(64, '0'), {
    Path: 'sleep',
    Args: ['100000', 'a b', ''],
    State: { ...initialState(), Status: 'running', Running: true, Pid: 42, StartedAt: started },
    Image: 'sha256:feed',
    Name: `/c${id}`,
    Driver: 'overlay',
    Config: { Image: 'busybox', Labels: { a: 'b"' }, ExposedPorts: { '80/tcp': {} } },
    HostConfig: { NetworkMode: 'none', Binds: ['/tmp:/host:ro'] },
    ...extra,
  });
  store.save(rec);
  return rec;
}

const version = (id: string) => store.version(id);
const shown = (rec: ContainerRecord) => rec;
const list = (
  cache: ListCache,
  recs: ContainerRecord[],
  image = (_: ContainerRecord) => 'busybox',
  now = Date.now(),
) => {
  const body = cache.body(recs, version, image, shown, store.count(), now).toString();
  assert.ok(body.endsWith(']\n'));
  return body.slice(0, -1);
};

test('the cached list is JSON.stringify of the summaries, Status worded at the time asked', () => {
  const recs = [record('a1'), record('a2', { State: { ...initialState(), Status: 'created' } })];
  const cache = new ListCache();
  const now = Date.now();
  const want = JSON.stringify(recs.map((r) => summary(r, 'busybox')));
  assert.equal(list(cache, recs, undefined, now), want);
  // served from the entries, with the clock moved: only Status changes
  const later = JSON.parse(list(cache, recs, undefined, now + 2 * 3_600_000));
  assert.equal(later[0].Status, 'Up 2 hours');
  assert.deepEqual({ ...later[0], Status: '' }, { ...JSON.parse(want)[0], Status: '' });
  assert.equal(later[1].Status, 'Created');
});

test('an entry is rebuilt when its record is saved again or its image name changes', () => {
  const rec = record('b1');
  const cache = new ListCache();
  assert.equal(JSON.parse(list(cache, [rec]))[0].Names[0], '/cb1');
  // changed in place but not saved: not seen yet (the store's version is the same)
  rec.Name = '/renamed';
  assert.equal(JSON.parse(list(cache, [rec]))[0].Names[0], '/cb1');
  store.save(rec);
  assert.equal(JSON.parse(list(cache, [rec]))[0].Names[0], '/renamed');
  rec.State = { ...rec.State, Status: 'paused', Paused: true };
  store.save(rec);
  const paused = JSON.parse(list(cache, [rec]))[0];
  assert.equal(paused.State, 'paused');
  assert.match(paused.Status, /^Up 3 minutes \(Paused\)$/);
  assert.equal(JSON.parse(list(cache, [rec], () => 'sha256:feed'))[0].Image, 'sha256:feed');
});

test('entries of forgotten containers are dropped; a record the store does not know is not kept', () => {
  const cache = new ListCache();
  const many = Array.from({ length: 80 }, (_, i) => record(`d${i}`));
  list(cache, many);
  assert.equal(cache.size, 80);
  for (const rec of many) store.forget(rec);
  const kept = record('d-last');
  assert.equal(JSON.parse(list(cache, [kept])).length, 1);
  assert.equal(cache.size, 1);
  const stray = { ...kept, ID: 'e'.repeat(64) };
  assert.equal(JSON.parse(list(cache, [stray]))[0].Id, stray.ID);
  assert.equal(cache.size, 1);
});

test('the body is sent again while entries and Status words stay', () => {
  const recs = [record('f1'), record('f2')];
  const cache = new ListCache();
  const body = (at: number, image?: (rec: ContainerRecord) => string) =>
    cache.body(recs, version, image ?? (() => 'busybox'), shown, store.count(), at);
  const now = Date.now();
  const first = body(now);
  assert.equal(first.toString(), `${JSON.stringify(recs.map((r) => summary(r, 'busybox')))}\n`);
  // a second later the containers are still "Up 3 minutes": the same buffer
  assert.equal(body(now + 1000), first);
  // the words moved on: a new body
  const later = body(now + 60_000);
  assert.notEqual(later, first);
  assert.match(JSON.parse(later.toString())[0].Status, /^Up 4 minutes$/);
  // an entry rebuilt (saved again, another image name), one gone, one more: new bodies
  store.save(recs[0]);
  assert.notEqual(body(now + 60_000), later);
  const named = body(now + 60_000, () => 'sha256:feed');
  assert.equal(JSON.parse(named.toString())[1].Image, 'sha256:feed');
  recs.pop();
  assert.equal(JSON.parse(body(now + 60_000).toString()).length, 1);
  recs.push(record('f3'), record('f4'));
  assert.deepEqual(
    JSON.parse(body(now + 60_000).toString()).map((c: { Names: string[] }) => c.Names[0]),
    ['/cf1', '/cf3', '/cf4'],
  );
});
