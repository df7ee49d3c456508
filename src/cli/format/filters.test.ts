import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filtersToJSON, parseFilterFlags } from './filters.ts';

test('repeated --filter flags become Docker filters JSON', () => {
  const f = parseFilterFlags(['dangling=true', 'label=a=b', ' Label = c ', 'label=a=b', '']);
  assert.equal(filtersToJSON(f), '{"dangling":{"true":true},"label":{"a=b":true,"c":true}}');
  assert.equal(filtersToJSON(parseFilterFlags([])), '');
});

test('a filter without = is refused as docker does', () => {
  assert.throws(() => parseFilterFlags(['dangling']), {
    message: 'bad format of filter (expected name=value)',
  });
});
