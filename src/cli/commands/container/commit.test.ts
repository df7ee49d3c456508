import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commitReference } from './commit.ts';
import { startErrorStatus } from './common.ts';

test('commit: the repository normalised and :latest added, as the docker client sends them', () => {
  assert.deepEqual(commitReference(undefined), { repo: '', tag: '' });
  assert.deepEqual(commitReference('repo:tag'), { repo: 'docker.io/library/repo', tag: 'tag' });
  assert.deepEqual(commitReference('me/app'), { repo: 'docker.io/me/app', tag: 'latest' });
  assert.deepEqual(commitReference('localhost:5000/a'), { repo: 'localhost:5000/a', tag: 'latest' });
  assert.throws(() => commitReference('UPPER'), /invalid reference format/);
});

test("run's exit status for a start error: 127 missing program, 126 not runnable, else 125", () => {
  assert.equal(startErrorStatus('exec: "x": executable file not found in $PATH: unknown'), 127);
  assert.equal(startErrorStatus('exec: "/x": stat /x: no such file or directory'), 127);
  assert.equal(startErrorStatus('exec: "/etc/passwd": permission denied: unknown'), 126);
  assert.equal(startErrorStatus('No such image: nosuch:latest'), 125);
});
