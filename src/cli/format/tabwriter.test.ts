import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DOCKER_TABLE, tabwrite, tabwriteColumns } from './tabwriter.ts';

test('columns are as wide as their widest cell plus 3, at least 10', () => {
  assert.equal(
    tabwrite('REPOSITORY\tTAG\tIMAGE ID\nbusybox\tlatest\tabc\n'),
    'REPOSITORY   TAG       IMAGE ID\nbusybox      latest    abc\n',
  );
});

test('a column is made of consecutive lines only (Go tabwriter example)', () => {
  const out = tabwrite('aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n', {
    minwidth: 0,
    padding: 1,
    padchar: '.',
  });
  assert.equal(out, 'aaaa.bbb.d\naa...b...dd\na....\naa...cccc.eee\n');
});

test('text after the last tab is not padded; wide characters count twice', () => {
  assert.equal(tabwrite('名前\tx\nab\ty\n', { minwidth: 0, padding: 1, padchar: ' ' }), '名前 x\nab   y\n');
  assert.equal(tabwrite('a\tb\t\n'), 'a         b         \n');
});

test('a table whose lines all have the same cells aligns as ragged text does', () => {
  const table = 'ID\tNAME\tSTATUS\nabc\tweb\tUp 2 hours\n名前名前名前\tx\t\n\t\tlast\n';
  for (const opts of [DOCKER_TABLE, { minwidth: 0, padding: 1, padchar: '.', alignRight: true }]) {
    // a line without tabs ends every column's block: the table above it is laid out on its own,
    // by the general algorithm, and must come out as the table alone does
    assert.equal(tabwrite(`${table}x\n`, opts), `${tabwrite(table, opts)}x\n`);
    assert.equal(tabwrite(table.slice(0, -1), opts), tabwrite(table, opts).slice(0, -1));
  }
});

test('a table given by its columns comes out as its tab-separated text does', () => {
  const tables = [
    [
      ['ID', 'abc', '名前名前名前', ''],
      ['NAME', 'web', 'x', ''],
      ['STATUS', 'Up 2 hours', '', 'last'],
    ],
    [['only'], ['one column']].map((c) => c),
    [['CONTAINER ID'], ['IMAGE'], ['']],
    [
      ['a', 'bbbbbbbbbbbbbbb'],
      ['', 'é́'],
      ['c', 'd'],
    ],
  ];
  for (const columns of tables)
    for (const opts of [DOCKER_TABLE, { minwidth: 0, padding: 1, padchar: '.', alignRight: true }]) {
      const text = columns[0].map((_, i) => `${columns.map((c) => c[i]).join('\t')}\n`).join('');
      assert.equal(tabwriteColumns(columns, opts), tabwrite(text, opts), JSON.stringify(columns));
    }
});
