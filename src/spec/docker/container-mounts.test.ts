import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../../common/errors.ts';
import {
  bindSources,
  cleanPath,
  containerMountPoints,
  mergeTmpfsOptions,
  ociMount,
  parseBind,
  parseMount,
  rejectVolumes,
  rootfsPropagationFor,
  tmpfsData,
  validMountMode,
} from './container-mounts.ts';

const invalid = (message: string) => (err: unknown) =>
  err instanceof BerthError && err.kind === 'InvalidArgument' && err.message === message;
const notImpl = (re: RegExp) => (err: unknown) =>
  err instanceof BerthError && err.kind === 'NotImplemented' && re.test(err.message);

test('cleanPath is Go path.Clean', () => {
  assert.equal(cleanPath('/a/b/'), '/a/b');
  assert.equal(cleanPath('/a//b/../c/.'), '/a/c');
  assert.equal(cleanPath('/'), '/');
  assert.equal(cleanPath('//'), '/');
});

test('-v modes: known words, at most one of each kind', () => {
  for (const ok of ['', 'ro', 'rw', 'z', 'Z', 'ro,Z', 'rshared', 'ro,rslave,z,nocopy', 'cached', 'rro']) {
    assert.ok(validMountMode(ok), ok);
  }
  for (const bad of ['ro,rw', 'z,Z', 'shared,slave', 'foo', 'ro,', 'nocopy,nocopy', 'cached,delegated']) {
    assert.ok(!validMountMode(bad), bad);
  }
});

test('-v /host:/ctr binds: rw by default, ro, propagation, cleaned paths; missing sources are created', () => {
  assert.deepEqual(parseBind('/srv/data/:/data/'), {
    type: 'bind',
    source: '/srv/data',
    destination: '/data',
    readOnly: false,
    propagation: 'rprivate',
    nonRecursive: false,
    createSource: true,
    origin: 'Binds',
    spec: '/srv/data/:/data/',
  });
  const ro = parseBind('/a:/b:ro,Z,rslave');
  assert.equal(ro.readOnly, true);
  assert.equal(ro.propagation, 'rslave');
  assert.equal(parseBind('/a:/b:rw').readOnly, false);
  assert.equal(parseBind('/a:/b:z').readOnly, false);
  assert.deepEqual(ociMount(ro), {
    destination: '/b',
    type: 'bind',
    source: '/a',
    options: ['rbind', 'ro', 'rslave'],
  });
  assert.deepEqual(ociMount(parseBind('/a:/b')).options, ['rbind', 'rprivate']);
});

test("-v errors: dockerd's texts", () => {
  assert.throws(() => parseBind(''), invalid("invalid volume specification: ''"));
  assert.throws(() => parseBind(':/x'), invalid("invalid volume specification: ':/x'"));
  assert.throws(() => parseBind('/a:/b:ro:x'), invalid("invalid volume specification: '/a:/b:ro:x'"));
  assert.throws(() => parseBind('/data:rw'), invalid("invalid volume specification: '/data:rw'"));
  assert.throws(() => parseBind('/a:/b:bogus'), invalid('invalid mode: bogus'));
  assert.throws(() => parseBind('/a:/b:ro,rw'), invalid('invalid mode: ro,rw'));
  assert.throws(
    () => parseBind('/a:b'),
    invalid(
      `invalid volume specification: '/a:b': invalid mount config for type "bind": invalid mount path: 'b' mount path must be absolute`,
    ),
  );
  assert.throws(
    () => parseBind('/a:/'),
    invalid(
      `invalid volume specification: '/a:/': invalid mount config for type "bind": invalid specification: destination can't be '/'`,
    ),
  );
  assert.throws(
    () => parseBind('/a:/b:nocopy'),
    invalid(
      `invalid volume specification: '/a:/b:nocopy': invalid mount config for type "bind": field VolumeOptions must not be specified`,
    ),
  );
  assert.throws(
    () => parseBind('vol:/b:rshared'),
    invalid(
      `invalid volume specification: 'vol:/b:rshared': invalid mount config for type "volume": field BindOptions must not be specified`,
    ),
  );
});

test('-v with a name or without a source is a volume, which berth does not have yet', () => {
  const named = parseBind('cache:/cache:ro,nocopy');
  assert.equal(named.type, 'volume');
  assert.equal(named.source, 'cache');
  assert.equal(named.readOnly, true);
  const anon = parseBind('/data');
  assert.equal(anon.type, 'volume');
  assert.equal(anon.source, '');
  assert.throws(
    () => rejectVolumes([named]),
    notImpl(/^named volumes are not supported yet: -v cache:\/cache:ro,nocopy/),
  );
  assert.throws(() => rejectVolumes([anon]), notImpl(/^anonymous volumes are not supported yet: -v \/data$/));
  assert.throws(
    () => rejectVolumes([parseMount({ Type: 'volume', Source: 'v', Target: '/v' })]),
    notImpl(/^volume mounts are not supported yet: --mount type=volume,target=\/v$/),
  );
});

test('--mount type=bind: ReadOnly, propagation, NonRecursive, CreateMountpoint', () => {
  const mp = parseMount({
    Type: 'bind',
    Source: '/src',
    Target: '/dst',
    ReadOnly: true,
    BindOptions: { Propagation: 'rshared', NonRecursive: true },
  });
  assert.equal(mp.createSource, false);
  assert.deepEqual(ociMount(mp), {
    destination: '/dst',
    type: 'bind',
    source: '/src',
    options: ['bind', 'ro', 'rshared'],
  });
  assert.equal(
    parseMount({ Type: 'bind', Source: '/s', Target: '/t', BindOptions: { CreateMountpoint: true } })
      .createSource,
    true,
  );
});

test("--mount errors: 'invalid mount config for type …'", () => {
  const cases: Array<[Parameters<typeof parseMount>[0], string]> = [
    [{ Type: 'bind', Source: '/s' }, 'invalid mount config for type "bind": field Target must not be empty'],
    [
      { Type: 'bind', Source: '/s', Target: '/' },
      `invalid mount config for type "bind": invalid specification: destination can't be '/'`,
    ],
    [
      { Type: 'bind', Source: '/s', Target: 't' },
      `invalid mount config for type "bind": invalid mount path: 't' mount path must be absolute`,
    ],
    [{ Type: 'bind', Target: '/t' }, 'invalid mount config for type "bind": field Source must not be empty'],
    [
      { Type: 'bind', Source: 's', Target: '/t' },
      `invalid mount config for type "bind": invalid mount path: 's' mount path must be absolute`,
    ],
    [
      { Type: 'bind', Source: '/s', Target: '/t', BindOptions: { Propagation: 'bogus' } },
      'invalid mount config for type "bind": invalid propagation mode: bogus',
    ],
    [
      { Type: 'bind', Source: '/s', Target: '/t', VolumeOptions: { NoCopy: true } },
      'invalid mount config for type "bind": field VolumeOptions must not be specified',
    ],
    [
      { Type: 'tmpfs', Source: '/s', Target: '/t' },
      'invalid mount config for type "tmpfs": field Source must not be specified',
    ],
    [
      { Type: 'tmpfs', Target: '/t', BindOptions: {} },
      'invalid mount config for type "tmpfs": field BindOptions must not be specified',
    ],
    [
      { Type: 'tmpfs', Target: '/t', TmpfsOptions: { Options: [['size', '1']] } },
      'invalid mount config for type "tmpfs": invalid option: size',
    ],
    [
      { Type: 'volume', Target: '/t', ReadOnly: true },
      'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes',
    ],
    [
      { Type: 'volume', Source: 'v', Target: '/t', BindOptions: {} },
      'invalid mount config for type "volume": field BindOptions must not be specified',
    ],
    [
      { Type: 'npipe', Source: 'x', Target: '/t' },
      'invalid mount config for type "npipe": mount type unknown',
    ],
    [{ Source: '/s', Target: '/t' }, 'invalid mount config for type "": mount type unknown'],
  ];
  for (const [m, message] of cases) assert.throws(() => parseMount(m), invalid(message), message);
});

test('--mount type=tmpfs: size with g/m/k, octal mode, ro, exec options', () => {
  assert.equal(tmpfsData({ SizeBytes: 64 * 2 ** 20, Mode: 0o1777 }, false), 'mode=1777,size=64m');
  assert.equal(tmpfsData({ SizeBytes: 2 ** 30 }, true), 'ro,size=1g');
  assert.equal(tmpfsData({ SizeBytes: 3 * 1024 }, false), 'size=3k');
  assert.equal(tmpfsData({ SizeBytes: 1000 }, false), 'size=1000');
  assert.equal(tmpfsData({ Options: [['exec']] }, false), 'exec');
  const mp = parseMount({
    Type: 'tmpfs',
    Target: '/scratch',
    TmpfsOptions: { SizeBytes: 2 ** 20, Options: [['exec']] },
  });
  assert.deepEqual(ociMount(mp), {
    destination: '/scratch',
    type: 'tmpfs',
    source: 'tmpfs',
    options: ['nosuid', 'nodev', 'rprivate', 'size=1m', 'exec'],
  });
});

test('tmpfs options merge: the last word for a flag or a key wins', () => {
  assert.deepEqual(
    mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', 'exec', 'size=1m', 'size=2m']),
    ['nosuid', 'nodev', 'rprivate', 'exec', 'size=2m'],
  );
  assert.deepEqual(mergeTmpfsOptions(['rprivate', 'rshared', 'defaults', 'ro', 'rw', 'mode=700']), [
    'rshared',
    'rw',
    'mode=700',
  ]);
  assert.throws(() => mergeTmpfsOptions(['foo']), invalid('invalid tmpfs option ["foo"]'));
  assert.throws(() => mergeTmpfsOptions(['bar=1']), invalid('invalid tmpfs option ["bar" "1"]'));
});

test('Binds, Mounts and Tmpfs together; duplicate destinations are refused', () => {
  const points = containerMountPoints({
    Binds: ['/a:/x'],
    Mounts: [{ Type: 'bind', Source: '/b', Target: '/y' }],
    Tmpfs: { '/run': 'rw,size=65536k', '/tmp': '' },
  });
  assert.deepEqual(
    points.map((p) => [p.origin, p.type, p.destination]),
    [
      ['Binds', 'bind', '/x'],
      ['Mounts', 'bind', '/y'],
      ['Tmpfs', 'tmpfs', '/run'],
      ['Tmpfs', 'tmpfs', '/tmp'],
    ],
  );
  assert.deepEqual(ociMount(points[2]).options, [
    'noexec',
    'nosuid',
    'nodev',
    'rprivate',
    'rw',
    'size=65536k',
  ]);
  assert.throws(
    () => containerMountPoints({ Binds: ['/a:/x', '/b:/x/'] }),
    invalid('Duplicate mount point: /x'),
  );
  assert.throws(
    () => containerMountPoints({ Binds: ['/a:/x'], Mounts: [{ Type: 'tmpfs', Target: '/x' }] }),
    invalid('Duplicate mount point: /x'),
  );
  assert.throws(
    () => containerMountPoints({ Binds: ['/a:/run'], Tmpfs: { '/run': '' } }),
    invalid('Duplicate mount point: /run'),
  );
  assert.throws(
    () => containerMountPoints({ Tmpfs: { run: '' } }),
    invalid("invalid mount path: 'run' mount path must be absolute"),
  );
  assert.throws(
    () => containerMountPoints({ Tmpfs: { '/': '' } }),
    invalid("invalid specification: destination can't be '/'"),
  );
  assert.throws(
    () => containerMountPoints({ Tmpfs: { '/x': 'size=1m,bogus' } }),
    invalid('invalid tmpfs option ["bogus"]'),
  );
});

test('bindSources tells the engine what to create and what must exist', () => {
  assert.deepEqual(
    bindSources({
      Binds: ['/a:/x'],
      Mounts: [{ Type: 'bind', Source: '/b', Target: '/y' }],
      Tmpfs: { '/t': '' },
    }),
    [
      {
        path: '/a',
        create: true,
        missingError: 'invalid mount config for type "bind": bind source path does not exist: /a',
      },
      {
        path: '/b',
        create: false,
        missingError: 'invalid mount config for type "bind": bind source path does not exist: /b',
      },
    ],
  );
});

test('shared and slave binds set the root propagation as dockerd does', () => {
  assert.equal(rootfsPropagationFor([parseBind('/a:/b')]), undefined);
  assert.equal(rootfsPropagationFor([parseBind('/a:/b:rslave')]), 'rslave');
  assert.equal(rootfsPropagationFor([parseBind('/a:/b:slave'), parseBind('/c:/d:rshared')]), 'shared');
  assert.equal(rootfsPropagationFor([parseBind('/c:/d:shared'), parseBind('/a:/b:slave')]), 'shared');
});

test('binds of the daemon root, in it or above it: rslave unless given, only rslave or rshared given', () => {
  const root = '/var/lib/berth';
  const prop = (binds: string[]) => containerMountPoints({ Binds: binds }, root).map((mp) => mp.propagation);
  assert.deepEqual(
    prop(['/:/host:ro', '/var/lib:/l', '/var/lib/berth/x:/x', '/etc:/e', '/var/lib/berthd:/d']),
    ['rslave', 'rslave', 'rslave', 'rprivate', 'rprivate'],
  );
  assert.deepEqual(prop(['/var:/v:rshared', '/etc:/e:rshared']), ['rshared', 'rshared']);
  assert.throws(
    () =>
      containerMountPoints(
        {
          Mounts: [{ Type: 'bind', Source: '/var', Target: '/v', BindOptions: { Propagation: 'rprivate' } }],
        },
        root,
      ),
    {
      message:
        'invalid mount config: must use either propagation mode "rslave" or "rshared" when mount source is within the daemon root, daemon root: "/var/lib/berth", bind mount source: "/var", propagation: "rprivate"',
    },
  );
  // without a root (as before): rprivate
  assert.deepEqual(
    containerMountPoints({ Binds: ['/:/host'] }).map((mp) => mp.propagation),
    ['rprivate'],
  );
});
