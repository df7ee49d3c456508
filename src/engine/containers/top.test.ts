import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { containerTop, parsePsOutput, psArgv, psPidsArg } from './top.ts';

const EF = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 05:19 ?        00:00:05 /sbin/init splash
root        4242       1  0 07:45 ?        00:00:00 sleep 1000
root        4243    4242  0 07:45 pts/0    00:00:00 /bin/sh -c echo  two  spaces
root        4300       1  0 07:45 ?        00:00:00 other
`;

describe('top: parsing ps output', () => {
  it('keeps the container rows and joins the last column', () => {
    const r = parsePsOutput(EF, [4242, 4243]);
    assert.deepEqual(r.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    assert.deepEqual(r.Processes, [
      ['root', '4242', '1', '0', '07:45', '?', '00:00:00', 'sleep 1000'],
      ['root', '4243', '4242', '0', '07:45', 'pts/0', '00:00:00', '/bin/sh -c echo  two  spaces'],
    ]);
  });

  it('keeps values with spaces whole in a column before PID', () => {
    const out = `CMD                          PPID   PID WCHAN          COMMAND
/bin/bash /st 28808             1 15468 wait           /bin/bash /st 28808
redis-server *:28808        15468 15497 ep_poll        redis-server *:28808
sshd: root@pts/0              954 25044 poll_schedule_ sshd: root@pts/0
`;
    const r = parsePsOutput(out, [15468, 15497]);
    assert.deepEqual(r.Titles, ['CMD', 'PPID', 'PID', 'WCHAN', 'COMMAND']);
    assert.deepEqual(r.Processes, [
      ['/bin/bash /st 28808', '1', '15468', 'wait', '/bin/bash /st 28808'],
      ['redis-server *:28808', '15468', '15497', 'ep_poll', 'redis-server *:28808'],
    ]);
  });

  it('keeps thread rows (PID -) after a kept process only', () => {
    const out = `  PID   LWP STAT COMMAND
    1     - -    init
    -     1 S    -
    -    59 S    -
   77     - -    app
    -    77 S    -
    -    78 R    -
`;
    const r = parsePsOutput(out, [77]);
    assert.deepEqual(r.Processes, [
      ['77', '-', '-', 'app'],
      ['-', '77', 'S', '-'],
      ['-', '78', 'R', '-'],
    ]);
  });

  it('keeps UTF-8 in commands', () => {
    const r = parsePsOutput('  PID CMD\n    7 écho ü\n', [7]);
    assert.deepEqual(r.Processes, [['7', 'écho ü']]);
  });

  it('has no rows when no pid matches, and titles still', () => {
    assert.deepEqual(parsePsOutput(EF, []).Processes, []);
    assert.deepEqual(parsePsOutput('  PID CMD\n', [1]), { Titles: ['PID', 'CMD'], Processes: [] });
  });

  it("fails without a PID column, and on a PID that isn't a number", () => {
    assert.throws(() => parsePsOutput('USER COMMAND\nroot init\n', [1]), {
      message: "Couldn't find PID field in ps output",
    });
    assert.throws(() => parsePsOutput('  PID CMD\n  abc x\n', [1]), {
      message: `Unexpected pid 'abc': strconv.Atoi: parsing "abc": invalid syntax`,
    });
  });
});

describe('top: ps arguments', () => {
  it('defaults to -ef and splits on single spaces', () => {
    assert.deepEqual(psArgv(''), ['-ef']);
    assert.deepEqual(psArgv('aux'), ['aux']);
    assert.deepEqual(psArgv('-o pid,comm'), ['-o', 'pid,comm']);
    assert.deepEqual(psArgv('-o  pid'), ['-o', '', 'pid']);
    assert.equal(psPidsArg([1, 22, 333]), '-q1,22,333');
  });

  it('refuses another column titled PID and headerless output', () => {
    assert.throws(() => psArgv('-o user=PID'), { message: 'specifying "user=PID" is not allowed' });
    assert.doesNotThrow(() => psArgv('-o pid=PID'));
    assert.throws(() => psArgv('-ef --no-headers'), { message: 'option --no-headers is not allowed' });
  });
});

describe('top: the host ps', () => {
  async function withSleep<T>(fn: (pid: number) => Promise<T>): Promise<T> {
    const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
    try {
      return await fn(child.pid as number);
    } finally {
      child.kill('SIGKILL');
    }
  }

  it('lists the given processes with -ef and with aux', async () => {
    await withSleep(async (pid) => {
      const ef = await containerTop([pid]);
      assert.deepEqual(ef.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
      assert.equal(ef.Processes.length, 1);
      assert.equal(ef.Processes[0][1], String(pid));
      assert.equal(ef.Processes[0][2], String(process.pid));
      assert.equal(ef.Processes[0][7], 'sleep 1000');
      const aux = await containerTop([pid], 'aux');
      assert.equal(aux.Titles[1], 'PID');
      assert.equal(aux.Processes[0].at(-1), 'sleep 1000');
    });
  });

  it('retries without -q for options that refuse it (forest)', async () => {
    await withSleep(async (pid) => {
      const r = await containerTop([pid], '-ef --forest');
      assert.equal(r.Processes.length, 1);
      assert.match(r.Processes[0].at(-1) ?? '', /sleep 1000$/);
    });
  });

  it("reports ps's first error line", async () => {
    await assert.rejects(containerTop([1], '--bogus'), { message: 'ps: error: unknown gnu long option' });
    await assert.rejects(containerTop([1], '', { ps: '/nonexistent/ps' }), {
      message: 'ps: exec: "/nonexistent/ps": executable file not found in $PATH',
    });
  });
});
