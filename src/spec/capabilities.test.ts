import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../common/errors.ts';
import { ALL_CAPABILITIES, CAP_LAST_KNOWN, capabilitiesUpTo, capMask, capNumber } from './capabilities.ts';

const DOCKER_DEFAULT = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

test('the table runs from CAP_CHOWN (0) to CAP_CHECKPOINT_RESTORE (40)', () => {
  assert.equal(ALL_CAPABILITIES.length, 41);
  assert.equal(CAP_LAST_KNOWN, 40);
  assert.equal(capNumber('CAP_CHOWN'), 0);
  assert.equal(capNumber('CAP_SYS_ADMIN'), 21);
  assert.equal(capNumber('CAP_SETFCAP'), 31);
  assert.equal(capNumber('CAP_AUDIT_READ'), 37);
  assert.equal(capNumber('CAP_CHECKPOINT_RESTORE'), 40);
  assert.equal(new Set(ALL_CAPABILITIES).size, 41);
});

test('capNumber accepts any case, with or without the CAP_ prefix', () => {
  assert.equal(capNumber('net_admin'), 12);
  assert.equal(capNumber('Cap_Net_Admin'), 12);
  assert.equal(capNumber('NET_ADMIN'), 12);
});

test('capNumber refuses unknown names, naming them', () => {
  assert.throws(
    () => capNumber('CAP_FOO'),
    (err: unknown) =>
      err instanceof BerthError &&
      err.kind === 'InvalidArgument' &&
      err.message === 'unknown capability "CAP_FOO"',
  );
  assert.throws(() => capNumber('foo'), /unknown capability "CAP_FOO"/);
});

test("capMask of Docker's default set is a80425fb", () => {
  assert.equal(capMask(DOCKER_DEFAULT, 40), 'a80425fb');
});

test('capMask of every capability up to cap_last_cap', () => {
  assert.equal(capMask(ALL_CAPABILITIES, 40), '1ffffffffff');
  assert.equal(capMask(ALL_CAPABILITIES, 37), '3fffffffff');
  assert.equal(capMask(capabilitiesUpTo(37), 37), '3fffffffff');
});

test('capMask leaves out capabilities above lastCap and returns 0 for none', () => {
  assert.equal(capMask(['CAP_BPF', 'CAP_CHOWN'], 37), '1');
  assert.equal(capMask([], 40), '0');
  assert.throws(() => capMask(['CAP_NOPE'], 40), /unknown capability "CAP_NOPE"/);
});
