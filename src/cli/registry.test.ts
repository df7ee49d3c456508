import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENTRIES, findCommand } from './registry.ts';

test("the registry's names are the ones each command declares", async () => {
  for (const entry of ENTRIES) {
    const command = await entry.load();
    assert.deepEqual(command.path, entry.path);
    assert.deepEqual(command.aliases, entry.aliases, entry.path.join(' '));
  }
  const paths = ENTRIES.flatMap((e) => [e.path, ...(e.aliases ?? [])].map((p) => p.join(' ')));
  assert.equal(new Set(paths).size, paths.length, 'a name is given twice');
});

test('lookup takes the longest name, and hands raw commands every word', async () => {
  assert.equal((await findCommand(['ps', '-a']))?.command.path.join(' '), 'container ls');
  assert.equal((await findCommand(['container', 'ps']))?.used, 2);
  assert.equal((await findCommand(['image', 'remove', 'x']))?.command.path.join(' '), 'image rm');
  const run = await findCommand(['run', '--rm', 'busybox', 'true']);
  assert.equal(run?.command.path.join(' '), 'container run');
  assert.equal(run?.used, 4);
  assert.deepEqual(run?.command.flags, []);
  assert.equal(await findCommand(['nope']), undefined);
});
