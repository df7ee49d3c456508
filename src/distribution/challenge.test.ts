import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseChallenges, repositoryScope } from './challenge.ts';

test('parses a Docker Hub bearer challenge', () => {
  const c = parseChallenges(
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
  );
  assert.deepEqual(c, [
    {
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/busybox:pull',
      },
    },
  ]);
});

test('parses basic, quoted escapes, unquoted values and several headers', () => {
  const c = parseChallenges(['Basic realm="basic \\"realm\\""', 'Bearer realm=http://x/t, service=reg']);
  assert.equal(c[0].scheme, 'basic');
  assert.equal(c[0].params.realm, 'basic "realm"');
  assert.deepEqual(c[1].params, { realm: 'http://x/t', service: 'reg' });
  assert.deepEqual(parseChallenges(undefined), []);
});

test('scopes', () => {
  assert.equal(repositoryScope('library/busybox', ['pull', 'push']), 'repository:library/busybox:pull,push');
});
