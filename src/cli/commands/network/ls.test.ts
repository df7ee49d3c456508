import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listOutput } from './ls.ts';
import { pruneOutput } from './prune.ts';

const LIST = [
  { Name: 'zeta', Id: 'f'.repeat(64), Driver: 'bridge', Scope: 'local', Labels: { c: 'd', a: 'b' } },
  { Name: 'a10', Id: 'e'.repeat(64), Driver: 'bridge', Scope: 'local' },
  { Name: 'a2', Id: 'd'.repeat(64), Driver: 'host', Scope: 'local', EnableIPv6: true },
  { Name: 'B', Id: 'c'.repeat(64), Driver: 'null', Scope: 'local' },
];

// Each expected text is what docker 28 printed for the same list.
test('the table: 12-character IDs, names in natural order', () => {
  assert.equal(
    listOutput(LIST, {}),
    'NETWORK ID     NAME      DRIVER    SCOPE\n' +
      'cccccccccccc   B         null      local\n' +
      'dddddddddddd   a2        host      local\n' +
      'eeeeeeeeeeee   a10       bridge    local\n' +
      'ffffffffffff   zeta      bridge    local\n',
  );
  assert.match(listOutput(LIST, { noTrunc: true }), /^NETWORK ID {57}NAME {6}DRIVER {4}SCOPE\nc{64} {3}B /);
});

test('-q and --format', () => {
  assert.equal(listOutput(LIST, { quiet: true }), 'cccccccccccc\ndddddddddddd\neeeeeeeeeeee\nffffffffffff\n');
  assert.equal(
    listOutput(LIST, { format: '{{.Name}} {{.IPv6}} {{.Labels}} {{.CreatedAt}}' }),
    'B false  0001-01-01 00:00:00 +0000 UTC\n' +
      'a2 true  0001-01-01 00:00:00 +0000 UTC\n' +
      'a10 false  0001-01-01 00:00:00 +0000 UTC\n' +
      'zeta false a=b,c=d 0001-01-01 00:00:00 +0000 UTC\n',
  );
  assert.equal(
    listOutput([LIST[3]], { format: 'json' }),
    '{"CreatedAt":"0001-01-01 00:00:00 +0000 UTC","Driver":"null","ID":"cccccccccccc","IPv4":"false",' +
      '"IPv6":"false","Internal":"false","Labels":"","Name":"B","Scope":"local"}\n',
  );
});

test("prune's report: the names and a blank line, or nothing", () => {
  assert.equal(pruneOutput(['n1', 'n2']), 'Deleted Networks:\nn1\nn2\n\n');
  assert.equal(pruneOutput(null), '');
  assert.equal(pruneOutput([]), '');
});
