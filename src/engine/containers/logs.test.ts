import assert from 'node:assert/strict';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { makeBundle } from '../../../test/fixtures/busybox.ts';
import { SHIM, ShimClient, START, shimArgs, startShim } from '../../../test/native/shim-helpers.ts';
import { compileCreate } from '../../plan/create.ts';
import { encodePlan } from '../../plan/encode.ts';
import { bindSources } from '../../runtime/bundle.ts';
import { detectCgroupLayout } from '../../runtime/cgroups/detect.ts';
import { cgroupDriver } from '../../runtime/cgroups/driver.ts';
import { hostFacts } from '../../runtime/facts.ts';
import { runtimeDefaultSpec } from '../../spec/runtime-default.ts';
import {
  encodeLogEntry,
  formatLogTime,
  type LogEntry,
  type LogsOptions,
  parseApiTimestamp,
  parseLogsQuery,
  parseLogTime,
  parseTail,
  readLogs,
} from './logs.ts';

/** The time of entry i: one second apart, with nanoseconds. */
const at = (i: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString().slice(0, 19) + '.000000123Z';
/** The API timestamp of entry i's time. */
const apiAt = (i: number) => `${Date.UTC(2024, 0, 1, 0, 0, i) / 1000}.000000123`;

const json = (log: string, stream: 'stdout' | 'stderr', time: string) =>
  `${JSON.stringify({ log, stream, time })}\n`;
/** Entries i..j-1: `line i\n`, stdout for even i and stderr for odd. */
const entries = (from: number, to: number) => {
  let out = '';
  for (let i = from; i < to; i++) out += json(`line ${i}\n`, i % 2 ? 'stderr' : 'stdout', at(i));
  return out;
};

function logDir(t: TestContext): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-logs-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, file: join(dir, 'container.log') };
}

async function collect(file: string, options: LogsOptions = {}): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of readLogs(file, options)) out.push(e);
  return out;
}

const texts = (list: LogEntry[]) => list.map((e) => e.line.toString());
const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => `line ${from + k}\n`);

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Starts a follow and collects what it yields in the background. */
function following(file: string, options: LogsOptions) {
  const got: LogEntry[] = [];
  const ended = (async () => {
    for await (const e of readLogs(file, { follow: true, pollMs: 50, ...options })) got.push(e);
  })();
  return { got, ended };
}

describe('logs: times and encoding', () => {
  it('parses API timestamps with the fraction scaled to nanoseconds', () => {
    assert.equal(parseApiTimestamp('1700000000'), 1700000000_000000000n);
    assert.equal(parseApiTimestamp('1700000000.5'), 1700000000_500000000n);
    assert.equal(parseApiTimestamp('1700000000.123456789'), 1700000000_123456789n);
    assert.equal(parseApiTimestamp('1700000000.1234567891'), 1700000000_123456789n);
    assert.throws(() => parseApiTimestamp('yesterday'), { kind: 'InvalidArgument' });
  });

  it('parses and prints RFC 3339 times with nine digits', () => {
    assert.equal(parseLogTime('2024-01-01T00:00:01.000000123Z'), 1704067201_000000123n);
    assert.equal(parseLogTime('2024-01-01T01:00:01.5+01:00'), 1704067201_500000000n);
    assert.equal(parseLogTime('2024-01-01 00:00:01Z'), undefined);
    assert.equal(formatLogTime('2024-01-01T00:00:01.5Z'), '2024-01-01T00:00:01.500000000Z');
    assert.equal(formatLogTime('2024-01-01T00:00:01Z'), '2024-01-01T00:00:01.000000000Z');
    assert.equal(formatLogTime('2024-01-01T00:00:01.123456789Z'), '2024-01-01T00:00:01.123456789Z');
  });

  it('frames entries for the API: multiplexed, raw with a tty, with timestamps', () => {
    const e: LogEntry = { stream: 'stderr', time: '2024-01-01T00:00:01.5Z', line: Buffer.from('hi\n') };
    assert.deepEqual(encodeLogEntry(e), Buffer.from([2, 0, 0, 0, 0, 0, 0, 3, 0x68, 0x69, 0x0a]));
    assert.deepEqual(
      encodeLogEntry({ ...e, stream: 'stdout' }).subarray(0, 8),
      Buffer.from([1, 0, 0, 0, 0, 0, 0, 3]),
    );
    assert.equal(encodeLogEntry(e, { tty: true }).toString(), 'hi\n');
    const stamped = encodeLogEntry(e, { timestamps: true });
    assert.equal(stamped.readUInt32BE(4), stamped.length - 8);
    assert.equal(stamped.subarray(8).toString(), '2024-01-01T00:00:01.500000000Z hi\n');
  });

  it('reads the query as dockerd does', () => {
    const q = parseLogsQuery(
      new URLSearchParams('stdout=1&stderr=0&tail=5&since=10.5&timestamps=true&details=1'),
    );
    assert.deepEqual(q, {
      stdout: true,
      stderr: false,
      since: '10.5',
      until: '',
      timestamps: true,
      follow: false,
      tail: '5',
      details: true,
    });
    assert.throws(() => parseLogsQuery(new URLSearchParams('stdout=0&stderr=no')), {
      kind: 'InvalidArgument',
      message: 'Bad parameters: you must choose at least one stream',
    });
    assert.throws(() => parseLogsQuery(new URLSearchParams('stdout=1&since=abc')), {
      kind: 'InvalidArgument',
    });
    assert.equal(parseTail('all'), -1);
    assert.equal(parseTail('3'), 3);
    assert.equal(parseTail('-2'), -1);
    assert.equal(parseTail('x'), -1);
    assert.equal(parseTail(0), 0);
  });
});

describe('logs: reading', () => {
  it('reads entries in order, with their stream and time, skipping malformed lines', async (t) => {
    const { file } = logDir(t);
    writeFileSync(
      file,
      entries(0, 2) +
        '{"log":"cut off mid-wri\n' +
        'not json\n' +
        '{"log":"x","stream":"stdin","time":"2024-01-01T00:00:00Z"}\n' +
        '{"log":1,"stream":"stdout","time":"2024-01-01T00:00:00Z"}\n' +
        '\n' +
        entries(2, 4),
    );
    const all = await collect(file);
    assert.deepEqual(texts(all), lines(0, 4));
    assert.deepEqual(
      all.map((e) => e.stream),
      ['stdout', 'stderr', 'stdout', 'stderr'],
    );
    assert.equal(all[1].time, at(1));
    assert.deepEqual(texts(await collect(file, { stderr: false })), ['line 0\n', 'line 2\n']);
    assert.deepEqual(texts(await collect(file, { stdout: false })), ['line 1\n', 'line 3\n']);
  });

  it('passes partial entries (split lines, no trailing newline) and escapes as they are', async (t) => {
    const { file } = logDir(t);
    const long = 'x'.repeat(16 * 1024);
    writeFileSync(
      file,
      json(long, 'stdout', at(0)) +
        json('end\n', 'stdout', at(1)) +
        json('tab\there "q" \u0001', 'stdout', at(2)),
    );
    assert.deepEqual(texts(await collect(file)), [long, 'end\n', 'tab\there "q" \u0001']);
  });

  it('reads rotated files oldest first, in numeric order', async (t) => {
    const { file } = logDir(t);
    for (let n = 1; n <= 11; n++) writeFileSync(`${file}.${n}`, entries(100 - n * 5, 105 - n * 5));
    writeFileSync(file, entries(100, 103));
    writeFileSync(`${file}.bak`, entries(0, 1));
    const all = await collect(file);
    assert.deepEqual(texts(all), lines(45, 103));
  });

  it('reads nothing from a missing log', async (t) => {
    const { file } = logDir(t);
    assert.deepEqual(await collect(file), []);
  });

  it('tails entries across rotated files, counting both streams before the stream choice', async (t) => {
    const { file } = logDir(t);
    writeFileSync(`${file}.2`, entries(0, 3));
    writeFileSync(`${file}.1`, entries(3, 5) + 'garbage\n');
    writeFileSync(file, entries(5, 7));
    assert.deepEqual(texts(await collect(file, { tail: 3 })), lines(4, 7));
    assert.deepEqual(texts(await collect(file, { tail: '5' })), lines(2, 7));
    assert.deepEqual(texts(await collect(file, { tail: 100 })), lines(0, 7));
    assert.deepEqual(texts(await collect(file, { tail: 'all' })), lines(0, 7));
    assert.deepEqual(texts(await collect(file, { tail: 'bogus' })), lines(0, 7));
    assert.deepEqual(await collect(file, { tail: 0 }), []);
    assert.deepEqual(texts(await collect(file, { tail: 2, stderr: false })), ['line 6\n']);
  });

  it('tails long entries that span read chunks', async (t) => {
    const { file } = logDir(t);
    let text = '';
    for (let i = 0; i < 40; i++) text += json(`${i}:${'\u0001'.repeat(16 * 1024)}`, 'stdout', at(i));
    writeFileSync(file, text); // about 96 KiB per entry once escaped
    const got = await collect(file, { tail: 3 });
    assert.deepEqual(
      got.map((e) => e.line.toString().split(':')[0]),
      ['37', '38', '39'],
    );
    assert.equal(got[0].line.length, 16 * 1024 + 3);
  });

  it('tails the end of a huge file without reading all of it', async (t) => {
    const { file } = logDir(t);
    writeFileSync(file, entries(0, 1));
    truncateSync(file, 64 * 1024 * 1024 * 1024); // sparse: 64 GiB of zeros
    appendFileSync(file, `\n${entries(1, 5)}`);
    assert.deepEqual(texts(await collect(file, { tail: 2 })), lines(3, 5));
  });

  it('filters by since and stops at the first entry after until', async (t) => {
    const { file } = logDir(t);
    writeFileSync(file, entries(0, 5) + entries(2, 3) + entries(5, 6));
    assert.deepEqual(texts(await collect(file, { since: apiAt(3) })), ['line 3\n', 'line 4\n', 'line 5\n']);
    assert.deepEqual(texts(await collect(file, { since: apiAt(3).replace(/123$/, '124') })), [
      'line 4\n',
      'line 5\n',
    ]);
    assert.deepEqual(texts(await collect(file, { until: apiAt(1) })), lines(0, 2));
    // the out-of-order entry 2 after entry 4 is never reached: until ends the read at entry 4
    assert.deepEqual(texts(await collect(file, { since: apiAt(1), until: apiAt(3) })), lines(1, 4));
    assert.deepEqual(texts(await collect(file, { until: '0' })).length, 7);
    // tail first, then since: the last 3 are 4, 2, 5; of those, since 3 keeps 4 and 5
    assert.deepEqual(texts(await collect(file, { tail: 3, since: apiAt(3) })), ['line 4\n', 'line 5\n']);
  });
});

describe('logs: following', () => {
  it('reads what is appended, then what is left once the container stopped', async (t) => {
    const { file } = logDir(t);
    writeFileSync(file, entries(0, 2));
    let stop!: () => void;
    const done = new Promise<void>((r) => (stop = r));
    const f = following(file, { done, tail: 1 });
    await until('the tail arrives', () => f.got.length === 1);
    appendFileSync(file, entries(2, 4));
    await until('appended entries arrive', () => f.got.length === 3);
    // a line written in two parts is one entry
    const line = json('split\n', 'stdout', at(4));
    appendFileSync(file, line.slice(0, 10));
    await new Promise((r) => setTimeout(r, 120));
    appendFileSync(file, line.slice(10) + entries(5, 6));
    appendFileSync(file, entries(6, 7));
    stop();
    await f.ended;
    assert.deepEqual(texts(f.got), ['line 1\n', 'line 2\n', 'line 3\n', 'split\n', 'line 5\n', 'line 6\n']);
  });

  for (const [how, opts] of [
    ['fs.watch', { pollMs: 60_000 }],
    ['polling', { pollMs: 20, watch: false }],
  ] as const)
    it(`continues in the new file after a rotation, finishing the old one first (${how})`, async (t) => {
      const { file } = logDir(t);
      writeFileSync(file, entries(0, 2));
      const ac = new AbortController();
      const f = following(file, { signal: ac.signal, ...opts });
      await until('the first entries arrive', () => f.got.length === 2);
      // what the shim does: the last entry to the old file, rename, a new file
      appendFileSync(file, entries(2, 3));
      renameSync(file, `${file}.1`);
      writeFileSync(file, entries(3, 4));
      await until('the new file is read', () => f.got.length === 4);
      // several rotations before the reader looks (synchronous, so no event is seen in between)
      appendFileSync(file, entries(4, 5));
      renameSync(`${file}.1`, `${file}.2`);
      renameSync(file, `${file}.1`);
      writeFileSync(file, entries(5, 6));
      renameSync(`${file}.2`, `${file}.3`);
      renameSync(`${file}.1`, `${file}.2`);
      renameSync(file, `${file}.1`);
      writeFileSync(file, entries(6, 7));
      await until('every rotated entry is read', () => f.got.length === 7);
      ac.abort();
      await f.ended;
      assert.deepEqual(texts(f.got), lines(0, 7));
    });

  it('starts over in a file truncated in place, and survives a dropped oldest file', async (t) => {
    const { file } = logDir(t);
    writeFileSync(file, entries(0, 3));
    const ac = new AbortController();
    const f = following(file, { signal: ac.signal });
    await until('the first entries arrive', () => f.got.length === 3);
    truncateSync(file, 0);
    appendFileSync(file, entries(3, 4));
    await until('the truncated file is read again', () => f.got.length === 4);
    // max-files 1: the file is removed and a new one started
    rmSync(file);
    writeFileSync(file, entries(4, 5));
    await until('the new file is read', () => f.got.length === 5);
    ac.abort();
    await f.ended;
    assert.deepEqual(texts(f.got), lines(0, 5));
  });

  it('waits for a log that does not exist yet, follows with tail 0, and ends on abort', async (t) => {
    const { file } = logDir(t);
    const ac = new AbortController();
    const f = following(file, { signal: ac.signal, tail: 0 });
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(file, entries(0, 2));
    await until('the new log is read', () => f.got.length === 2);
    ac.abort();
    await f.ended;
    assert.deepEqual(texts(f.got), lines(0, 2));

    const g = following(file, { done: Promise.resolve(), tail: 0 });
    await g.ended;
    assert.deepEqual(g.got, []);
  });

  it('ends a follow at the first entry after until', async (t) => {
    const { file } = logDir(t);
    writeFileSync(file, entries(0, 1));
    const f = following(file, { until: apiAt(1) });
    appendFileSync(file, entries(1, 3));
    await f.ended;
    assert.deepEqual(texts(f.got), lines(0, 2));
  });
});

describe('logs: the log berth-shim writes', {
  skip: process.getuid?.() !== 0 || !existsSync(SHIM) ? 'needs root and native/build/berth-shim' : false,
}, () => {
  it('follows a running container through rotations to its end, and tails it afterwards', async (t) => {
    const cgroups = cgroupDriver(detectCgroupLayout());
    const bundle = makeBundle(runtimeDefaultSpec(), 'berth-logs-bundle-');
    chmodSync(bundle.dir, 0o755);
    const dir = mkdtempSync(join(tmpdir(), 'berth-logs-shim-'));
    chmodSync(dir, 0o700);
    const id = `logs-${process.pid}`;
    const cgroupsPath = `/berth-logs-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    t.after(async () => {
      const pidFile = join(dir, 'shim.pid');
      if (existsSync(pidFile)) {
        try {
          process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
        } catch {}
      }
      if (cgroups.exists(cgroupsPath)) {
        await cgroups.killAll(cgroupsPath, 'SIGKILL');
        await cgroups.destroy(cgroupsPath);
      }
      rmSync(dir, { recursive: true, force: true });
      bundle.cleanup();
    });

    // 150 lines, a 40000-byte line (split into 16 KiB entries), an error, an unterminated end
    const script =
      'i=0; while [ $i -lt 150 ]; do echo line $i; i=$((i+1)); usleep 3000; done; ' +
      "head -c 40000 /dev/zero | tr '\\0' x; echo; echo oops >&2; printf end";
    const spec = runtimeDefaultSpec();
    spec.process!.terminal = false;
    spec.process!.args = ['sh', '-c', script];
    spec.linux!.cgroupsPath = cgroupsPath;
    const plan = compileCreate({
      id,
      bundle: bundle.dir,
      spec,
      facts: hostFacts(cgroupsPath),
      foreground: false,
      reportFd: 3,
      sources: bindSources(spec),
    });
    writeFileSync(join(dir, 'plan'), encodePlan(plan));
    const log = join(dir, 'json.log');
    const started = await startShim(
      shimArgs(dir, join(dir, 'plan'), { log, logMaxSize: 2048, logMaxFiles: 20 }),
    );
    assert.equal(started.code, 0, started.stderr);
    const client = await ShimClient.connect(join(dir, 'shim.sock'));
    const f = following(log, { done: client.exit() });
    client.send(START);
    assert.equal((await client.exit()).exitCode, 0);
    await f.ended;

    const expected = `${lines(0, 150).join('')}${'x'.repeat(40000)}\nend`;
    const out = f.got.filter((e) => e.stream === 'stdout');
    assert.equal(Buffer.concat(out.map((e) => e.line)).toString(), expected);
    assert.ok(
      out.some((e) => e.line.length === 16 * 1024 && !e.line.includes(10)),
      'a 16 KiB split entry',
    );
    assert.deepEqual(texts(f.got.filter((e) => e.stream === 'stderr')), ['oops\n']);
    const times = f.got.map((e) => parseLogTime(e.time) ?? 0n);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    assert.ok(existsSync(`${log}.5`), 'the log was rotated');

    // afterwards: the same entries, and the tail is their end (stderr may come before the
    // last stdout entries: the shim reads the two pipes separately)
    assert.ok(
      (await collect(log)).every((e, i) => e.time === f.got[i].time && e.line.equals(f.got[i].line)),
      'a second read gives the same entries',
    );
    const last = await collect(log, { tail: 3 });
    assert.ok(
      last.length === 3 && last.every((e, i) => e.line.equals(f.got[f.got.length - 3 + i].line)),
      'tail 3 is the last 3 entries followed',
    );
  });
});
