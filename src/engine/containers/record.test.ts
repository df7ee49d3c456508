import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ContainerStore } from './record.ts';
import { runningRecord } from './testutil.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-record-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a name two records on disk claim (an --rm removal cut short, the name given again) is the newer one’s', () => {
  const store = new ContainerStore(dir);
  const pairs: [string, string][] = [];
  for (const [i, [older, newer]] of [
    ['a', 'f'],
    ['e', '1'],
    ['c', '7'],
  ].entries()) {
    const name = `n${i}`;
    const old = runningRecord(older.repeat(64), {
      Name: `/${name}`,
      Created: `2026-01-01T00:00:0${i}.000000000Z`,
      HostConfig: { AutoRemove: true },
    });
    store.reserveName(name, old.ID);
    store.save(old);
    // exited and removed: its record forgotten, its file kept until its directory goes
    store.forget(old, { keepFile: true });
    const now = runningRecord(newer.repeat(64), {
      Name: `/${name}`,
      Created: `2026-01-01T00:01:0${i}.000000000Z`,
    });
    store.reserveName(name, now.ID);
    store.save(now);
    pairs.push([old.ID, now.ID]);
  }
  // berthd starts again: both records are read back
  const again = new ContainerStore(dir);
  for (const [i, [old, now]] of pairs.entries()) {
    assert.equal(again.find(`n${i}`)?.ID, now, `n${i}`);
    // the adoption removes the older: the name stays the newer one's
    again.forget(again.get(old));
    assert.equal(again.find(`n${i}`)?.ID, now);
  }
});
