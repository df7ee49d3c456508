import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../../common/errors.ts';
import { parseGroup, parsePasswd, resolveUser } from './container-user.ts';

// An alpine-like pair of files.
const PASSWD = `root:x:0:0:root:/root:/bin/ash
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
nobody:x:65534:65534:nobody:/:/sbin/nologin
app:x:1000:1000:App:/home/app:/bin/sh
broken:x:abc:1::/x:/bin/sh
`;
const GROUP = `root:x:0:root
bin:x:1:root,bin,daemon
daemon:x:2:root,bin,daemon
wheel:x:10:root
users:x:100:app
app:x:1000:
staff:x:50:
`;

const invalid = (message: string) => (err: unknown) =>
  err instanceof BerthError && err.kind === 'InvalidArgument' && err.message === message;

test('the files parse; malformed lines are skipped', () => {
  assert.equal(parsePasswd(PASSWD).length, 5);
  assert.deepEqual(parsePasswd('a:x:1:2::/h:/bin/sh')[0], { name: 'a', uid: 1, gid: 2, home: '/h' });
  assert.deepEqual(parseGroup('g:x:7:a,b')[0], { name: 'g', gid: 7, members: ['a', 'b'] });
  assert.deepEqual(parseGroup('g:x:7:')[0].members, []);
  assert.deepEqual(parsePasswd(undefined), []);
});

test('no user: root from passwd, with the groups listing root as a member (as docker run alpine id)', () => {
  assert.deepEqual(resolveUser('', PASSWD, GROUP), {
    uid: 0,
    gid: 0,
    additionalGids: [0, 1, 2, 10],
    home: '/root',
  });
  assert.deepEqual(resolveUser(undefined, undefined, undefined), {
    uid: 0,
    gid: 0,
    additionalGids: [],
    home: '/',
  });
});

test('a user name or uid takes the passwd entry: gid, home and supplementary groups', () => {
  const app = { uid: 1000, gid: 1000, additionalGids: [100], home: '/home/app' };
  assert.deepEqual(resolveUser('app', PASSWD, GROUP), app);
  assert.deepEqual(resolveUser('1000', PASSWD, GROUP), app);
  assert.deepEqual(resolveUser('nobody', PASSWD, GROUP), {
    uid: 65534,
    gid: 65534,
    additionalGids: [],
    home: '/',
  });
});

test('a uid without an entry is used as is, gid 0', () => {
  assert.deepEqual(resolveUser('4242', PASSWD, GROUP), { uid: 4242, gid: 0, additionalGids: [], home: '/' });
  assert.deepEqual(resolveUser('4242:4343', undefined, undefined), {
    uid: 4242,
    gid: 4343,
    additionalGids: [],
    home: '/',
  });
});

test('an explicit group replaces the gid and drops the supplementary groups', () => {
  assert.deepEqual(resolveUser('app:staff', PASSWD, GROUP), {
    uid: 1000,
    gid: 50,
    additionalGids: [],
    home: '/home/app',
  });
  assert.deepEqual(resolveUser('app:10', PASSWD, GROUP).gid, 10);
  assert.deepEqual(resolveUser('app:777', PASSWD, GROUP).gid, 777);
  assert.deepEqual(resolveUser(':staff', PASSWD, GROUP), {
    uid: 0,
    gid: 50,
    additionalGids: [],
    home: '/root',
  });
});

test('GroupAdd appends groups by name or number', () => {
  assert.deepEqual(
    resolveUser('app', PASSWD, GROUP, ['staff', '2000', 'users']).additionalGids,
    [100, 50, 2000],
  );
  assert.deepEqual(resolveUser('app:staff', PASSWD, GROUP, ['wheel']).additionalGids, [10]);
});

test("names that do not exist fail with runc's messages", () => {
  assert.throws(
    () => resolveUser('foo', PASSWD, GROUP),
    invalid('unable to find user foo: no matching entries in passwd file'),
  );
  assert.throws(
    () => resolveUser('foo', undefined, undefined),
    invalid('unable to find user foo: no matching entries in passwd file'),
  );
  assert.throws(
    () => resolveUser('app:nogroup', PASSWD, GROUP),
    invalid('unable to find group nogroup: no matching entries in group file'),
  );
  assert.throws(
    () => resolveUser('app', PASSWD, GROUP, ['nogroup']),
    invalid('Unable to find group nogroup: no matching entries in group file'),
  );
});

test('ids must be in 0..2^31-1', () => {
  assert.throws(
    () => resolveUser('2147483648', PASSWD, GROUP),
    invalid('uids and gids must be in range 0-2147483647'),
  );
  assert.throws(
    () => resolveUser('0:99999999999', PASSWD, GROUP),
    invalid('uids and gids must be in range 0-2147483647'),
  );
  assert.throws(() => resolveUser('', PASSWD, GROUP, ['2147483648']), /uids and gids must be in range/);
  assert.equal(resolveUser('2147483647', PASSWD, GROUP).uid, 2147483647);
});
