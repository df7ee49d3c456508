import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgv } from '../../opts/flags.ts';
import { EXEC_FLAGS, execConfig } from './exec.ts';

const config = (argv: string[]) => {
  const { opts, args } = parseArgv(argv, EXEC_FLAGS);
  return { config: execConfig(opts, args.slice(1), '/'), container: args[0] };
};

test('attached by default, stdin with -i, nothing with -d; the command keeps its flags', () => {
  const { config: c, container } = config([
    '-i',
    '-u',
    'nobody',
    '-w',
    '/tmp',
    '-e',
    'A=1',
    'web',
    'ls',
    '-l',
  ]);
  assert.equal(container, 'web');
  assert.deepEqual(c, {
    User: 'nobody',
    Privileged: false,
    Tty: false,
    AttachStdin: true,
    AttachStderr: true,
    AttachStdout: true,
    Detach: false,
    DetachKeys: '',
    Env: ['A=1'],
    WorkingDir: '/tmp',
    Cmd: ['ls', '-l'],
  });
  const d = config(['-d', '-t', '--privileged', 'web', 'true']).config;
  assert.equal(d.AttachStdin, false);
  assert.equal(d.AttachStdout, false);
  assert.equal(d.AttachStderr, false);
  assert.equal(d.Tty, true);
  assert.equal(d.Privileged, true);
  assert.equal(d.Env, null);
});
