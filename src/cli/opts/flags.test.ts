import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ramInBytes } from '../../common/govalues.ts';
import type { CommandContext } from '../command.ts';
import {
  argRangeText,
  commandName,
  FlagError,
  flagErrorText,
  helpText,
  nonInterspersed,
  type OptDef,
  parseArgv,
} from './flags.ts';

const DEFS: OptDef[] = [
  { name: 'detach', short: 'd', type: 'bool', description: 'Detach' },
  { name: 'interactive', short: 'i', type: 'bool', description: 'Interactive' },
  { name: 'user', short: 'u', type: 'string', description: 'User' },
  { name: 'env', short: 'e', type: 'list', description: 'Env' },
  { name: 'memory', short: 'm', type: 'string', typeName: 'bytes', description: 'Memory', parse: ramInBytes },
  { name: 'count', type: 'int', description: 'Count' },
  { name: 'network', type: 'list', description: 'Network', aliases: ['net'] },
  { name: 'proxy', type: 'bool', description: 'Proxy', default: true },
];

test('flags end at the first argument; -- ends them too', () => {
  const p = parseArgv(['-d', 'busybox', 'ls', '-l', '--color'], DEFS);
  assert.deepEqual(p.args, ['busybox', 'ls', '-l', '--color']);
  assert.equal(p.opts.detach, true);
  assert.deepEqual(parseArgv(['--', '-d'], DEFS).args, ['-d']);
  assert.deepEqual(parseArgv(['a', '-d', 'b'], DEFS, true).args, ['a', 'b']);
});

test('values: --f v, --f=v, -fv, -f=v, grouped booleans, lists, aliases, converted values', () => {
  const p = parseArgv(
    ['-idu0', '-e', 'A=1', '--env=B=2', '-m=1k', '--net', 'n1', '--count', '0x10', 'img'],
    DEFS,
  );
  assert.equal(p.opts.interactive, true);
  assert.equal(p.opts.detach, true);
  assert.equal(p.opts.user, '0');
  assert.deepEqual(p.opts.env, ['A=1', 'B=2']);
  assert.equal(p.opts.memory, 1024);
  assert.deepEqual(p.opts.network, ['n1']);
  assert.equal(p.opts.count, 16);
  assert.equal(p.opts.proxy, true);
  assert.deepEqual([...p.changed].sort(), [
    'count',
    'detach',
    'env',
    'interactive',
    'memory',
    'network',
    'user',
  ]);
  assert.equal(parseArgv(['--proxy=false', 'x'], DEFS).opts.proxy, false);
  assert.equal(parseArgv(['-m1g', 'x'], DEFS).opts.memory, 1024 ** 3);
});

test("errors carry pflag's texts", () => {
  const message = (argv: string[]) => {
    try {
      parseArgv(argv, DEFS);
    } catch (err) {
      assert.ok(err instanceof FlagError);
      return err.message;
    }
    assert.fail('no error');
  };
  assert.equal(message(['--bogus']), 'unknown flag: --bogus');
  assert.equal(message(['-idx']), "unknown shorthand flag: 'x' in -x");
  assert.equal(message(['--user']), 'flag needs an argument: --user');
  assert.equal(message(['-u']), "flag needs an argument: 'u' in -u");
  assert.equal(message(['-m', 'x']), `invalid argument "x" for "-m, --memory" flag: invalid size: 'x'`);
  assert.equal(
    message(['--count=x']),
    'invalid argument "x" for "--count" flag: strconv.ParseInt: parsing "x": invalid syntax',
  );
  assert.equal(
    message(['--detach=maybe']),
    'invalid argument "maybe" for "-d, --detach" flag: strconv.ParseBool: parsing "maybe": invalid syntax',
  );
});

test("docker 28's error and help layouts", () => {
  const usage = 'berth run [OPTIONS] IMAGE [COMMAND] [ARG...]';
  assert.equal(commandName(usage), 'berth run');
  assert.equal(commandName('berth container prune [OPTIONS]'), 'berth container prune');
  assert.equal(
    flagErrorText(usage, 'unknown flag: --x'),
    `unknown flag: --x\n\nUsage:  ${usage}\n\nRun 'berth run --help' for more information\n`,
  );
  const help = helpText({ usage, summary: 'Run', flags: DEFS });
  assert.match(help, /^\nUsage: {2}berth run \[OPTIONS\] IMAGE/);
  assert.match(help, /\n {2}-m, --memory bytes +Memory\n/);
  assert.match(help, /\n {6}--proxy +Proxy \(default true\)\n/);
  assert.doesNotMatch(help, /--net\b/);
});

test("a wrong number of arguments as docker 28's cli/required.go words it", () => {
  const text = (usage: string, min: number, max: number, n: number) => argRangeText(usage, min, max, n);
  assert.equal(text('berth ps [OPTIONS]', 0, 0, 0), undefined);
  assert.equal(
    text('berth ps [OPTIONS]', 0, 0, 1),
    "berth: 'berth ps' accepts no arguments\n\nUsage:  berth ps [OPTIONS]\n\nRun 'berth ps --help' for more information\n",
  );
  assert.equal(
    text('berth rm [OPTIONS] CONTAINER [CONTAINER...]', 1, Infinity, 0),
    "berth: 'berth rm' requires at least 1 argument\n\nUsage:  berth rm [OPTIONS] CONTAINER [CONTAINER...]\n\nSee 'berth rm --help' for more information\n",
  );
  assert.match(
    text('berth rename CONTAINER NEW_NAME', 2, 2, 3)!,
    /^berth: 'berth rename' requires 2 arguments\n.*\n\nRun 'berth rename --help'/s,
  );
  assert.match(text('berth diff CONTAINER', 1, 1, 0)!, /'berth diff' requires 1 argument\n/);
  assert.match(
    text('berth images [OPTIONS] [REPOSITORY[:TAG]]', 0, 1, 2)!,
    /'berth images' requires at most 1 argument\n/,
  );
  assert.match(
    text('berth port CONTAINER [PRIVATE_PORT[/PROTO]]', 1, 2, 3)!,
    /'berth port' requires at least 1 and at most 2 arguments\n/,
  );
});

test('nonInterspersed: a shared command reading its own words', async () => {
  let seen: unknown;
  const cmd = nonInterspersed({
    path: ['container', 'top'],
    summary: 'Top',
    usage: 'berth top CONTAINER [ps OPTIONS]',
    args: { min: 1 },
    flags: [],
    async run(_ctx, opts, args) {
      seen = { opts, args };
      return 3;
    },
  });
  const out: string[] = [];
  const ctx = {
    out: { write: (s: string) => out.push(s) },
    err: { write: (s: string) => out.push(s) },
  } as unknown as CommandContext;
  assert.equal(await cmd.runRaw(ctx, ['web', '-o', 'pid']), 3);
  assert.deepEqual((seen as { args: string[] }).args, ['web', '-o', 'pid']);
  assert.equal(await cmd.runRaw(ctx, []), 1);
  assert.match(out.join(''), /'berth top' requires at least 1 argument/);
});
