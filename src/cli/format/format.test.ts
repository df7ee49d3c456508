import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertGolden } from '../../../test/helpers/golden.ts';
import { BerthError } from '../../common/errors.ts';
import { isJSONFormat, isTableFormat, renderFormat, templateText } from './format.ts';
import { displayablePorts, formatContainerList } from './lists/containers.ts';
import { formatImageList } from './lists/images.ts';
import { formatNetworkList } from './lists/networks.ts';
import { formatVolumeList } from './lists/volumes.ts';

const golden = (name: string) => new URL(`testdata/${name}`, import.meta.url).pathname;
const now = Date.UTC(2024, 5, 1, 12, 0, 0);
const clock = { now };
const secondsAgo = (s: number) => now / 1000 - s;

const images = [
  {
    Id: 'sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741',
    RepoTags: ['busybox:latest', 'busybox:1.36', 'registry.example.com:5000/team/busybox:v1'],
    RepoDigests: ['busybox@sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7'],
    Created: secondsAgo(3 * 7 * 86400),
    Size: 4_261_486,
    SharedSize: -1,
    Containers: -1,
  },
  {
    Id: 'sha256:a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9',
    RepoTags: [],
    RepoDigests: ['alpine@sha256:1111111111111111111111111111111111111111111111111111111111111111'],
    Created: secondsAgo(2 * 3600),
    Size: 7_800_000,
  },
  {
    Id: 'sha256:0000000000000000000000000000000000000000000000000000000000000000',
    RepoTags: ['<none>:<none>'],
    RepoDigests: ['<none>@<none>'],
    Created: secondsAgo(45),
    Size: 999_999,
  },
];

const containers = [
  {
    Id: '4f66ad9a0b2e7e3d3a1c6d8e9f00112233445566778899aabbccddeeff001122',
    Names: ['/web', '/other/web-link'],
    Image: 'nginx:1.27@sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7',
    ImageID: 'sha256:aaaa',
    Command: "/docker-entrypoint.sh nginx -g 'daemon off;'",
    Created: secondsAgo(65),
    Ports: [
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { PrivatePort: 443, Type: 'tcp' },
      { PrivatePort: 444, Type: 'tcp' },
    ],
    Labels: { 'com.example.app': 'shop', 'com.example.tier': '<front>' },
    State: 'running',
    Status: 'Up About a minute',
    SizeRw: 1024,
    SizeRootFs: 187_000_000,
    Mounts: [{ Name: 'a-very-long-volume-name-indeed', Driver: 'local' }, { Source: '/srv/data' }],
    NetworkSettings: { Networks: { bridge: {}, backend: {} } },
    ImageManifestDescriptor: { platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
  },
  {
    Id: 'sha256:deadbeefcafe0000111122223333444455556666777788889999aaaabbbbcccc',
    Names: ['/job'],
    Image: 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    ImageID: 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    Command: 'true',
    Created: secondsAgo(3 * 86400),
    Ports: [],
    Labels: null,
    State: 'exited',
    Status: 'Exited (0) 3 days ago',
  },
];

const volumes = [
  {
    Name: 'data',
    Driver: 'local',
    Mountpoint: '/var/lib/berth/volumes/data/_data',
    Scope: 'local',
    Labels: { b: '2', a: '1' },
  },
  {
    Name: '0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9',
    Driver: 'local',
    Scope: 'local',
    UsageData: { RefCount: 2, Size: 1_234_567 },
  },
];

const networks = [
  {
    Id: '8a7f3c2b1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a',
    Name: 'bridge',
    Driver: 'bridge',
    Scope: 'local',
    Created: '2024-05-30T09:15:02.123456789Z',
    EnableIPv4: true,
  },
  { Id: '1f2e3d4c5b6a', Name: 'host', Driver: 'host', Scope: 'local', Created: '2024-05-30T09:15:02+02:00' },
];

function render(): string {
  const sections: [string, string][] = [
    ['images', formatImageList(images, { clock })],
    ['images --digests', formatImageList(images, { clock, digests: true })],
    ['images --no-trunc', formatImageList(images, { clock, noTrunc: true })],
    ['images -q', formatImageList(images, { clock, quiet: true })],
    ['images --format json', formatImageList(images, { clock, format: 'json' })],
    ['images --format raw', formatImageList(images.slice(0, 1), { clock, format: 'raw' })],
    [
      'images --format table custom',
      formatImageList(images, {
        clock,
        format: 'table {{.ID}}\\t{{.Repository}}:{{.Tag}}\\t{{.CreatedAt}}\\t{{.VirtualSize}}',
      }),
    ],
    [
      'images --format {{.Repository}}',
      formatImageList(images, { clock, format: '{{.Repository}} {{.Digest}}' }),
    ],
    ['ps', formatContainerList(containers, { clock })],
    ['ps --size', formatContainerList(containers, { clock, size: true })],
    ['ps --no-trunc', formatContainerList(containers, { clock, noTrunc: true })],
    ['ps -q', formatContainerList(containers, { clock, quiet: true })],
    ['ps --format json', formatContainerList(containers, { clock, format: 'json' })],
    ['ps --format raw', formatContainerList(containers.slice(0, 1), { clock, format: 'raw' })],
    [
      'ps --format table with a method column',
      formatContainerList(containers, {
        clock,
        format: 'table {{.Names}}\\t{{.Label "com.example.app"}}\\t{{.Labels}}',
      }),
    ],
    [
      'ps --format table, other columns',
      formatContainerList(containers, {
        clock,
        format:
          'table {{.ID}}\\t{{.State}}\\t{{.Mounts}}\\t{{.LocalVolumes}}\\t{{.Networks}}\\t{{.Platform}}\\t{{.CreatedAt}}',
      }),
    ],
    ['volume ls', formatVolumeList(volumes, {})],
    ['volume ls -q', formatVolumeList(volumes, { quiet: true })],
    ['volume ls --format json', formatVolumeList(volumes, { format: 'json' })],
    [
      'volume ls --format table all',
      formatVolumeList(volumes, {
        format: 'table {{.Name}}\\t{{.Mountpoint}}\\t{{.Labels}}\\t{{.Links}}\\t{{.Size}}',
      }),
    ],
    ['network ls', formatNetworkList(networks, {})],
    ['network ls --no-trunc', formatNetworkList(networks, { noTrunc: true })],
    ['network ls --format json', formatNetworkList(networks, { format: 'json' })],
    [
      'network ls --format table all',
      formatNetworkList(networks, {
        format: 'table {{.Name}}\\t{{.IPv4}}\\t{{.IPv6}}\\t{{.Internal}}\\t{{.CreatedAt}}',
      }),
    ],
    ['empty table still has its header', formatImageList([], { clock })],
    ['empty custom format prints nothing', formatImageList([], { clock, format: '{{.ID}}' })],
  ];
  return sections.map(([title, out]) => `=== ${title}\n${out}`).join('');
}

test('golden: list outputs of images, ps, volume ls and network ls', () => {
  assertGolden(golden('lists.golden'), render());
});

test('format kinds and the template they stand for', () => {
  assert.equal(isTableFormat('table {{.ID}}'), true);
  assert.equal(isTableFormat('{{.ID}}'), false);
  assert.equal(isJSONFormat('json'), true);
  assert.equal(isJSONFormat('{{json .}}'), false);
  assert.equal(templateText('table {{.ID}}\\t{{.Name}}  '), '{{.ID}}\t{{.Name}}');
  assert.equal(templateText('json'), '{{json .}}');
  assert.equal(templateText('{{.A}}\\n{{.B}}'), '{{.A}}\n{{.B}}');
});

test('renderFormat on plain objects, header row from the header map', () => {
  const rows = [
    { Name: 'a', Size: 1 },
    { Name: 'bbbbbbbbbbbb', Size: 22 },
  ];
  assert.equal(
    renderFormat('table {{.Name}}\\t{{.Size}}', rows, { Name: 'NAME', Size: 'SIZE' }),
    'NAME           SIZE\na              1\nbbbbbbbbbbbb   22\n',
  );
  assert.equal(renderFormat('{{.Name}}={{.Size}}', rows), 'a=1\nbbbbbbbbbbbb=22\n');
  // Unknown header fields print <no value>, as in docker.
  assert.equal(renderFormat('table {{.Other}}', [], { Name: 'NAME' }), '<no value>\n');
});

test('formats of text and lone fields print what the template prints (no template parsed)', () => {
  // `{{ .ID }}` is the same action as `{{.ID}}` but is not a lone-field format: the template runs
  const spaced = (f: string) => f.replace(/\{\{\.(\w+)\}\}/g, '{{ .$1 }}');
  const fields = ['ID', 'Names', 'Image', 'Command', 'CreatedAt', 'RunningFor', 'Ports', 'State', 'Status'];
  const more = ['Size', 'Labels', 'Mounts', 'LocalVolumes', 'Networks', 'Platform', 'Nope'];
  for (const format of [
    '',
    'table',
    `table {{.${fields.join('}}\\t{{.')}}}`,
    `{{.${fields.join('}} {{.')}}}`,
    ...more.map((f) => `table {{.ID}}\\t{{.${f}}}`),
    'table {{.ID}} {{ {{.Names}}',
  ]) {
    const opts = { clock: { now, offsetMinutes: 0, zone: 'UTC' } };
    const run = (f: string) => {
      try {
        return formatContainerList(containers, { ...opts, format: f });
      } catch (err) {
        // the spaced format's error names a later column
        return `error: ${(err as Error).message.replace(/:1:\d+:/, ':1:N:')}`;
      }
    };
    assert.equal(run(format), run(spaced(format)), format);
  }
  // maps: own keys only, as the template reads them
  const rows = [{ Name: 'a' }, Object.create({ Name: 'inherited' })];
  assert.equal(renderFormat('{{.Name}}', rows), renderFormat('{{ .Name }}', rows));
  assert.equal(renderFormat('table {{.Name}}', [], { Name: 'NAME' }), 'NAME\n');
});

test('a table of lone fields prints what the template prints, whatever its rows hold', () => {
  class Row {
    readonly #name: string;
    readonly #size: unknown;
    constructor(name: string, size: unknown) {
      this.#name = name;
      this.#size = size;
    }
    get Name() {
      return this.#name;
    }
    get Size() {
      return this.#size;
    }
  }
  class Sub extends Row {
    override get Name() {
      return `sub ${super.Name}`;
    }
  }
  // an own property hides the class's getter, as `{{.Name}}` reads it
  const shadowed = Object.defineProperty(new Row('hidden', '1'), 'Name', { value: 'own', enumerable: true });
  const header = { Name: 'NAME', Size: 'SIZE' };
  for (const rows of [
    [new Row('a', '1'), new Row('bbbbbbbbbbbbbb', '22')],
    // a tab or newline in a value makes more cells or lines: the text is split as the template's
    [new Row('a\tb', '1'), new Row('c', 'd\ne')],
    [new Row('a', 1), new Row('b', '2')],
    [new Row('a', '1'), new Sub('b', '2'), { Name: 'map', Size: '3' }, shadowed],
    [{ Name: 'm' }, Object.create({ Name: 'inherited', Size: 'x' })],
  ]) {
    for (const format of ['table {{.Name}}\\t{{.Size}}', 'table {{.Size}}', '{{.Name}}\\t{{.Size}}']) {
      const spaced = format.replace(/\{\{\.(\w+)\}\}/g, '{{ .$1 }}');
      assert.equal(renderFormat(format, rows, header), renderFormat(spaced, rows, header), format);
    }
  }
});

test('template errors are invalid arguments prefixed like docker', () => {
  assert.throws(
    () => formatImageList(images, { clock, format: '{{.Nope}}' }),
    (err: unknown) =>
      err instanceof BerthError &&
      err.kind === 'InvalidArgument' &&
      err.message ===
        'template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.imageContext',
  );
  assert.throws(() => formatContainerList(containers, { clock, format: '{{.ID' }), {
    message: 'template parsing error: template: :1: unclosed action',
  });
});

test('DisplayablePorts groups consecutive ports and lists host mappings last', () => {
  assert.equal(
    displayablePorts([
      { PrivatePort: 9002, Type: 'tcp' },
      { PrivatePort: 9000, Type: 'tcp' },
      { PrivatePort: 9001, Type: 'tcp' },
      { PrivatePort: 53, Type: 'udp' },
      { IP: '127.0.0.1', PrivatePort: 6000, PublicPort: 6000, Type: 'tcp' },
      { IP: '127.0.0.1', PrivatePort: 6001, PublicPort: 6001, Type: 'tcp' },
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
    ]),
    '53/udp, 127.0.0.1:6000-6001->6000-6001/tcp, 9000-9002/tcp, 0.0.0.0:8080->80/tcp',
  );
  assert.equal(displayablePorts([]), '');
});
