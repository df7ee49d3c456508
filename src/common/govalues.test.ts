import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fromHumanSize,
  memSwapBytes,
  nanoCpus,
  parseGoBool,
  parseGoDuration,
  parseGoInt,
  parseGoUint,
  ramInBytes,
} from './govalues.ts';

test('ramInBytes: go-units RAMInBytes (binary multiples, optional b/ib, one space)', () => {
  assert.equal(ramInBytes('512m'), 512 * 1024 ** 2);
  assert.equal(ramInBytes('1.5g'), 1.5 * 1024 ** 3);
  assert.equal(ramInBytes('10KiB'), 10240);
  assert.equal(ramInBytes('10kb'), 10240);
  assert.equal(ramInBytes('10 M'), 10 * 1024 ** 2);
  assert.equal(ramInBytes('100'), 100);
  assert.equal(ramInBytes('100b'), 100);
  assert.equal(ramInBytes('1.9'), 1);
  assert.throws(() => ramInBytes('x'), { message: "invalid size: 'x'" });
  assert.throws(() => ramInBytes('-1'), { message: "invalid size: '-1'" });
  assert.throws(() => ramInBytes('12q'), { message: "invalid suffix: 'q'" });
  assert.throws(() => ramInBytes('1kbb'), { message: "invalid suffix: 'kbb'" });
  assert.throws(() => ramInBytes('1mx'), { message: "invalid suffix: 'mx'" });
  assert.throws(() => ramInBytes('1.2.3'), {
    message: 'strconv.ParseFloat: parsing "1.2.3": invalid syntax',
  });
  assert.equal(memSwapBytes('-1'), -1);
});

test('fromHumanSize: go-units FromHumanSize (decimal multiples, same syntax)', () => {
  assert.equal(fromHumanSize('1k'), 1000);
  assert.equal(fromHumanSize('10m'), 10e6);
  assert.equal(fromHumanSize('1.5KiB'), 1500);
  assert.equal(fromHumanSize('100'), 100);
  assert.throws(() => fromHumanSize('abc'), { message: "invalid size: 'abc'" });
});

test('parseGoDuration: time.ParseDuration', () => {
  assert.equal(parseGoDuration('10s'), 10e9);
  assert.equal(parseGoDuration('1m30s'), 90e9);
  assert.equal(parseGoDuration('1h'), 3600e9);
  assert.equal(parseGoDuration('500ms'), 5e8);
  assert.equal(parseGoDuration('1.5us'), 1500);
  assert.equal(parseGoDuration('-1s'), -1e9);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('.5s'), 5e8);
  assert.throws(() => parseGoDuration('10'), { message: 'time: missing unit in duration "10"' });
  assert.throws(() => parseGoDuration('x'), { message: 'time: invalid duration "x"' });
  assert.throws(() => parseGoDuration(''), { message: 'time: invalid duration ""' });
  assert.throws(() => parseGoDuration('10q'), { message: 'time: unknown unit "q" in duration "10q"' });
});

test('nanoCpus: decimal, exponent and fraction forms; too much precision is refused', () => {
  assert.equal(nanoCpus('1.5'), 1_500_000_000);
  assert.equal(nanoCpus('.25'), 250_000_000);
  assert.equal(nanoCpus('1e-1'), 100_000_000);
  assert.equal(nanoCpus('3/2'), 1_500_000_000);
  assert.equal(nanoCpus('2'), 2_000_000_000);
  assert.throws(() => nanoCpus('x'), { message: 'failed to parse x as a rational number' });
  assert.throws(() => nanoCpus('0.0000000001'), { message: 'value is too precise' });
});

test('strconv: ParseInt base 0, ParseUint bit sizes, ParseBool', () => {
  assert.equal(parseGoInt('42'), 42);
  assert.equal(parseGoInt('-7'), -7);
  assert.equal(parseGoInt('0x10'), 16);
  assert.equal(parseGoInt('010'), 8);
  assert.equal(parseGoInt('1_000'), 1000);
  assert.throws(() => parseGoInt('1.5'), { message: 'strconv.ParseInt: parsing "1.5": invalid syntax' });
  assert.throws(() => parseGoInt('99999999999999999999'), {
    message: 'strconv.ParseInt: parsing "99999999999999999999": value out of range',
  });
  assert.equal(parseGoUint('65535', 16), 65535);
  assert.throws(() => parseGoUint('70000', 16), {
    message: 'strconv.ParseUint: parsing "70000": value out of range',
  });
  assert.throws(() => parseGoUint('-1', 16), { message: 'strconv.ParseUint: parsing "-1": invalid syntax' });
  assert.equal(parseGoUint('0777', 32, 8), 0o777);
  assert.equal(parseGoBool('T'), true);
  assert.equal(parseGoBool('0'), false);
  assert.throws(() => parseGoBool('yes'), { message: 'strconv.ParseBool: parsing "yes": invalid syntax' });
});
