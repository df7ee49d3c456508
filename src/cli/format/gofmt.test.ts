import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFloat } from './gofloat.ts';
import { quote, sprint, sprintf, sprintln } from './gofmt.ts';
import { marshal } from './gojson.ts';
import { formatV, typeName } from './govalue.ts';

test('formatFloat matches strconv.FormatFloat', () => {
  const cases: [number, 'e' | 'f' | 'g', number, string][] = [
    [1e6, 'g', -1, '1e+06'],
    [123456, 'g', -1, '123456'],
    [1234567, 'g', -1, '1.234567e+06'],
    [0.0001, 'g', -1, '0.0001'],
    [0.00001, 'g', -1, '1e-05'],
    [0.1 + 0.2, 'g', -1, '0.30000000000000004'],
    [100, 'g', 3, '100'],
    [999.9, 'g', 3, '1e+03'],
    [1.5, 'g', 3, '1.5'],
    [4.261, 'g', 3, '4.26'],
    [1.125, 'g', 3, '1.12'], // an exact tie rounds to even
    [1.375, 'g', 3, '1.38'],
    [0.25, 'f', 1, '0.2'],
    [0.35, 'f', 1, '0.3'], // 0.35 is 0.34999… in binary
    [2.5, 'f', 0, '2'],
    [3.5, 'f', 0, '4'],
    [0.0004, 'f', 2, '0.00'],
    [0.006, 'f', 2, '0.01'],
    [1234.5, 'e', 6, '1.234500e+03'],
    [1e-10, 'e', 2, '1.00e-10'],
    [0, 'e', 2, '0.00e+00'],
    [-2.5, 'g', -1, '-2.5'],
    [Number.NaN, 'g', -1, 'NaN'],
    [Number.POSITIVE_INFINITY, 'f', 2, '+Inf'],
  ];
  for (const [x, fmt, prec, want] of cases)
    assert.equal(formatFloat(x, fmt, prec), want, `${x} ${fmt} ${prec}`);
});

test('%v prints values as Go', () => {
  assert.equal(formatV(['a', 1, null, [true]]), '[a 1 <nil> [true]]');
  assert.equal(formatV({ b: { y: 1, x: 2 }, a: [] }), 'map[a:[] b:map[x:2 y:1]]');
  assert.equal(formatV(new Map([['k', 'v']])), 'map[k:v]');
  assert.equal(formatV(undefined), '<no value>');
  assert.equal(formatV(null), '<nil>');
  assert.equal(formatV(2.5), '2.5');
  assert.equal(formatV(10n), '10');
});

test('Go type names for messages', () => {
  assert.equal(typeName('x'), 'string');
  assert.equal(typeName(1), 'int');
  assert.equal(typeName(1.5), 'float64');
  assert.equal(typeName(['a']), '[]string');
  assert.equal(typeName([1]), '[]interface {}');
  assert.equal(typeName({ a: 'b' }), 'map[string]string');
  assert.equal(typeName({ a: 1 }), 'map[string]interface {}');
  class Thing {}
  assert.equal(typeName(new Thing()), '*Thing');
});

test('Sprint, Sprintln', () => {
  assert.equal(sprint(['a', 1, 2, 'b', 'c']), 'a1 2bc');
  assert.equal(sprintln(['a', 1]), 'a 1\n');
});

test('Sprintf verbs and flags', () => {
  const cases: [string, unknown[], string][] = [
    ['%s %v %d', ['a', [1, 2], 42], 'a [1 2] 42'],
    ['%5d|%-5d|%05d|%+d|% d', [42, 42, 42, 42, 42], '   42|42   |00042|+42| 42'],
    ['%x %X %#x %o %b %c %U', [255, 255, 255, 8, 5, 65, 0x1f600], 'ff FF 0xff 10 101 A U+1F600'],
    ['%q %q', ['a"b\n', 'ü'], '"a\\"b\\n" "ü"'],
    ['%.2s|%6.2f|%-8.3e|%G', ['abc', 1.23456, 1234.5, 1e-7], 'ab|  1.23|1.234e+03|1E-07'],
    ['%t %v', [true, false], 'true false'],
    ['%T %T %T', ['s', 1, ['a']], 'string int []string'],
    ['%s', [['a', 'b']], '[a b]'],
    ['%d', ['x'], '%!d(string=x)'],
    ['%s', [null], '%!s(<nil>)'],
    ['%d %d', [1], '1 %!d(MISSING)'],
    ['%d', [1, 'x'], '1%!(EXTRA string=x)'],
    ['100%%', [], '100%'],
    ['%x', ['hi'], '6869'],
  ];
  for (const [format, args, want] of cases) assert.equal(sprintf(format, args), want, format);
});

test('strconv.Quote', () => {
  assert.equal(quote("sh -c 'while…"), '"sh -c \'while…"');
  assert.equal(quote('a\tb\x01\x7f\u00a0'), '"a\\tb\\x01\\x7f\\u00a0"');
  assert.equal(quote('\\"'), '"\\\\\\""');
  // plain ASCII is copied as it is; other text goes character by character
  assert.equal(
    quote('busybox sleep 100000 ~!#$%&()*+,-./:;<=>?@[]^_`{|}'),
    '"busybox sleep 100000 ~!#$%&()*+,-./:;<=>?@[]^_`{|}"',
  );
  assert.equal(quote('x é\u200b日🎉'), '"x é\\u200b日🎉"');
  assert.equal(quote(''), '""');
});

test('JSON like encoding/json', () => {
  assert.equal(
    marshal({ a: '<&>', b: [1, 2.5, null], c: true }),
    '{"a":"\\u003c\\u0026\\u003e","b":[1,2.5,null],"c":true}',
  );
  assert.equal(marshal('<&>', { escapeHTML: false }), '"<&>"');
  assert.equal(marshal('\u2028\x01\n'), '"\\u2028\\u0001\\n"');
  // what JSON.stringify writes unlike Go: HTML characters, U+2028/U+2029, lone surrogates
  assert.equal(marshal('a\ud800b\udc00'), '"a\\ufffdb\\ufffd"');
  assert.equal(marshal('\u2029<', { escapeHTML: false }), '"\\u2029<"');
  assert.equal(marshal('\b\f\x1f\x7f"\\é🎉'), '"\\b\\f\\u001f\x7f\\"\\\\é🎉"');
  assert.equal(
    marshal(
      new Map([
        ['b', 1],
        ['a', 2],
      ]),
    ),
    '{"a":2,"b":1}',
  );
  assert.equal(marshal({ keep: 1, order: 2, a: undefined }), '{"keep":1,"order":2}');
  assert.equal(marshal([1e21, 1e-7, 0.000001]), '[1e+21,1e-7,0.000001]');
  assert.throws(() => marshal(Number.NaN), /unsupported value: NaN/);
});
