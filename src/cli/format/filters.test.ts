import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ACCEPTED_FILTERS,
  filterBool,
  filtersFromJSON,
  filtersQuery,
  filtersToJSON,
  parseFilterFlags,
  validateFilters,
} from './filters.ts';

test('repeated --filter flags become Docker filters JSON', () => {
  const f = parseFilterFlags(['dangling=true', 'label=a=b', ' Label = c ', 'label=a=b', '']);
  assert.equal(filtersToJSON(f), '{"dangling":{"true":true},"label":{"a=b":true,"c":true}}');
  assert.equal(
    filtersQuery(f),
    'filters=%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%2C%22label%22%3A%7B%22a%3Db%22%3Atrue%2C%22c%22%3Atrue%7D%7D',
  );
  assert.equal(filtersToJSON(parseFilterFlags([])), '');
  assert.equal(filtersQuery(parseFilterFlags([])), '');
});

test('a filter without = is refused as docker does', () => {
  assert.throws(() => parseFilterFlags(['dangling']), {
    message: 'bad format of filter (expected name=value)',
  });
});

test('the daemon reads both the current and the legacy JSON forms', () => {
  assert.deepEqual(
    filtersFromJSON('{"dangling":{"true":true},"label":{"x":false}}'),
    new Map([
      ['dangling', new Set(['true'])],
      ['label', new Set()],
    ]),
  );
  assert.deepEqual(filtersFromJSON('{"name":["a","b"]}'), new Map([['name', new Set(['a', 'b'])]]));
  assert.deepEqual(filtersFromJSON(''), new Map());
  assert.throws(() => filtersFromJSON('{"name":"a"}'), { message: 'invalid filter' });
  assert.throws(() => filtersFromJSON('not json'), { message: 'invalid filter' });
});

test('unknown keys are invalid filters', () => {
  validateFilters(parseFilterFlags(['dangling=true', 'reference=busy*']), ACCEPTED_FILTERS.images);
  assert.throws(() => validateFilters(parseFilterFlags(['foo=bar', 'dangling=1']), ACCEPTED_FILTERS.images), {
    message: "invalid filter 'foo'",
  });
});

test('boolean filters', () => {
  assert.equal(filterBool(parseFilterFlags(['dangling=true']), 'dangling', false), true);
  assert.equal(filterBool(parseFilterFlags(['dangling=0']), 'dangling', true), false);
  assert.equal(filterBool(parseFilterFlags([]), 'dangling', true), true);
  assert.throws(() => filterBool(parseFilterFlags(['dangling=maybe']), 'dangling', false), {
    message: "invalid filter 'dangling=[maybe]'",
  });
  assert.throws(() => filterBool(parseFilterFlags(['dangling=true', 'dangling=false']), 'dangling', false), {
    message: "invalid filter 'dangling=[true false]'",
  });
});
