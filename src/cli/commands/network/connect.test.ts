import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseArgv } from '../../opts/flags.ts';
import { CONNECT_FLAGS, connectBody, driverOpts, validateLink } from './connect.ts';

const DOCKER: Record<string, { args: string[]; body: unknown }> = JSON.parse(
  readFileSync(join(import.meta.dirname, 'testdata/docker-bodies.json'), 'utf8'),
);

test('the bodies the docker CLI 28 sent (testdata/docker-bodies.json)', () => {
  for (const name of ['connect every flag', 'connect no flags']) {
    const { args, body: sent } = DOCKER[name];
    const parsed = parseArgv(args, CONNECT_FLAGS, true);
    const b = connectBody(parsed.args[1], parsed);
    assert.deepEqual(b, sent, name);
    // the same fields in the same order
    assert.equal(JSON.stringify(b), JSON.stringify(sent), name);
  }
});

test('driver options and links are checked as docker does', () => {
  assert.throws(() => driverOpts(['bad']), { message: 'invalid key/value pair format in driver options' });
  assert.throws(() => driverOpts([' =v']), { message: 'invalid key/value pair format in driver options' });
  assert.deepEqual(driverOpts(['a=b=c']), { a: 'b=c' });
  assert.equal(validateLink('a:b'), 'a:b');
  assert.throws(() => validateLink('a:b:c'), { message: 'bad format for links: a:b:c' });
  assert.throws(() => validateLink(''), { message: 'empty string specified for links' });
  assert.throws(() => parseArgv(['--link', 'a:b:c'], CONNECT_FLAGS, true), {
    message: 'invalid argument "a:b:c" for "--link" flag: bad format for links: a:b:c',
  });
});
