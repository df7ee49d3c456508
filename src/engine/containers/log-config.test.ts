import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkLogConfig,
  DEFAULT_LOG_MAX_FILES,
  DEFAULT_LOG_MAX_SIZE,
  jsonFileLimits,
  logDetails,
} from './log-config.ts';

test('checkLogConfig: json-file by default and none pass; the drivers berth lacks and compress=true are refused', () => {
  assert.deepEqual(checkLogConfig(undefined), { Type: 'json-file', Config: {} });
  assert.deepEqual(checkLogConfig({ Type: '', Config: { 'max-size': '1k' } }), {
    Type: 'json-file',
    Config: { 'max-size': '1k' },
  });
  assert.deepEqual(checkLogConfig({ Type: 'none', Config: { foo: '1' } }), {
    Type: 'none',
    Config: { foo: '1' },
  });
  assert.throws(() => checkLogConfig({ Type: 'syslog' }), { kind: 'NotImplemented', message: /syslog/ });
  assert.throws(() => checkLogConfig({ Type: 'local' }), { kind: 'NotImplemented' });
  assert.throws(() => checkLogConfig({ Config: { compress: 'true' } }), { kind: 'NotImplemented' });
  assert.doesNotThrow(() =>
    checkLogConfig({ Config: { compress: 'false', tag: 'x', labels: 'a', env: 'B' } }),
  );
});

test("jsonFileLimits: decimal max-size, max-file 1 unless given, dockerd's messages", () => {
  assert.deepEqual(jsonFileLimits({}), { maxSize: DEFAULT_LOG_MAX_SIZE, maxFiles: DEFAULT_LOG_MAX_FILES });
  assert.deepEqual(jsonFileLimits({ 'max-size': '1k' }), { maxSize: 1000, maxFiles: 1 });
  assert.deepEqual(jsonFileLimits({ 'max-size': '10m', 'max-file': '3' }), { maxSize: 10e6, maxFiles: 3 });
  assert.deepEqual(jsonFileLimits({ 'max-file': '3' }), { maxSize: 0, maxFiles: 3 });
  assert.throws(() => jsonFileLimits({ 'max-size': 'abc' }), {
    kind: 'InvalidArgument',
    message: "failed to initialize logging driver: invalid size: 'abc'",
  });
  assert.throws(() => jsonFileLimits({ 'max-size': '0' }), {
    message: 'failed to initialize logging driver: max-size must be a positive number',
  });
  assert.throws(() => jsonFileLimits({ 'max-file': '0' }), {
    message: 'failed to initialize logging driver: max-file cannot be less than 1',
  });
  assert.throws(() => jsonFileLimits({ 'max-file': 'x' }), {
    message: 'failed to initialize logging driver: strconv.Atoi: parsing "x": invalid syntax',
  });
});

test('logDetails: the attributes of labels, env, their regexes and tag, sorted and query-escaped', () => {
  const src = {
    id: 'a'.repeat(64),
    name: 'web',
    labels: { app: 'shop', tier: 'front end', other: 'x' },
    env: ['PATH=/bin', 'MODE=a&b', 'EMPTY='],
    image: 'busybox',
  };
  assert.equal(logDetails({}, src), ' ');
  assert.equal(
    logDetails({ labels: 'tier,app,missing', env: 'MODE' }, src),
    'MODE=a%26b,app=shop,tier=front+end ',
  );
  assert.equal(logDetails({ 'labels-regex': '^o', 'env-regex': '^EMP' }, src), 'EMPTY=,other=x ');
  assert.equal(logDetails({ tag: '{{.Name}}/{{.ID}}' }, src), `tag=web%2F${'a'.repeat(12)} `);
});
