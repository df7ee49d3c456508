import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseReference } from '../image/reference.ts';
import { sameRegistryRepos } from './push.ts';

test('mount sources: same registry only, those nearest the target repository first', () => {
  const image = {
    repoTags: ['reg:5000/a/bb:1', 'reg:5000/b/bb:1', 'other:5000/b/x:1', 'reg:5000/b/other:x'],
    repoDigests: [`reg:5000/c/d/e@sha256:${'1'.repeat(64)}`],
  };
  assert.deepEqual(sameRegistryRepos(image, parseReference('reg:5000/b/other:x')), ['b/bb', 'c/d/e', 'a/bb']);
  assert.deepEqual(sameRegistryRepos(image, parseReference('reg:5000/c/d/f')), [
    'c/d/e',
    'a/bb',
    'b/bb',
    'b/other',
  ]);
});
