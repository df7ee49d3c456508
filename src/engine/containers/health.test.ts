import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { EventBus } from '../events.ts';
import {
  applyResult,
  goDuration,
  HealthMonitors,
  type HealthSettings,
  healthSettings,
  logEntry,
  nextDelay,
  probeCommand,
} from './health.ts';
import type { ProbeResult } from './probe.ts';
import { type ContainerRecord, ContainerStore, type Health } from './record.ts';
import { runningRecord } from './testutil.ts';

const MS = 1e6;

test('probeCommand: CMD as given, CMD-SHELL through the shell, none for NONE and unknown kinds', () => {
  assert.deepEqual(probeCommand({ Test: ['CMD', 'curl', '-f', 'x'] }), ['curl', '-f', 'x']);
  assert.deepEqual(probeCommand({ Test: ['CMD-SHELL', 'echo hi; exit 1'] }), [
    '/bin/sh',
    '-c',
    'echo hi; exit 1',
  ]);
  assert.deepEqual(probeCommand({ Test: ['CMD-SHELL', 'x'] }, ['/bin/bash', '-ec']), [
    '/bin/bash',
    '-ec',
    'x',
  ]);
  assert.equal(probeCommand({ Test: ['NONE'] }), undefined);
  assert.equal(probeCommand({ Test: [] }), undefined);
  assert.equal(probeCommand({ Test: ['CMD'] }), undefined);
  assert.equal(probeCommand({ Test: ['FOO', 'x'] }), undefined);
  assert.equal(probeCommand(null), undefined);
  assert.equal(probeCommand(undefined), undefined);
});

test('goDuration prints as Go does', () => {
  assert.equal(goDuration(0), '0s');
  assert.equal(goDuration(500 * MS), '500ms');
  assert.equal(goDuration(1500 * MS), '1.5s');
  assert.equal(goDuration(30_000 * MS), '30s');
  assert.equal(goDuration(90_000 * MS), '1m30s');
  assert.equal(goDuration(3_600_000 * MS), '1h0m0s');
  assert.equal(goDuration(1_500), '1.5µs');
  assert.equal(goDuration(12), '12ns');
  assert.equal(goDuration(2.25 * MS), '2.25ms');
});

test('healthSettings: dockerd defaults for zero values; none without a probe', () => {
  const s = healthSettings({ Healthcheck: { Test: ['CMD-SHELL', 'true'] } });
  assert.deepEqual(s, {
    cmd: ['/bin/sh', '-c', 'true'],
    intervalMs: 30_000,
    timeoutMs: 30_000,
    startPeriodMs: 0,
    startIntervalMs: 5_000,
    retries: 3,
    timeoutText: '30s',
  });
  const t = healthSettings({
    Healthcheck: {
      Test: ['CMD', 'true'],
      Interval: 2000 * MS,
      Timeout: 500 * MS,
      StartPeriod: 10_000 * MS,
      StartInterval: 100 * MS,
      Retries: 1,
    },
  });
  assert.equal(t?.intervalMs, 2000);
  assert.equal(t?.timeoutText, '500ms');
  assert.equal(t?.startIntervalMs, 100);
  assert.equal(t?.retries, 1);
  assert.equal(healthSettings({ Healthcheck: { Test: ['NONE'] } }), undefined);
  assert.equal(healthSettings({}), undefined);
});

const settings: HealthSettings = {
  cmd: ['true'],
  intervalMs: 1000,
  timeoutMs: 500,
  startPeriodMs: 10_000,
  startIntervalMs: 100,
  retries: 2,
  timeoutText: '500ms',
};

test('nextDelay: the start interval only while starting within the start period', () => {
  assert.equal(nextDelay(settings, 'starting', 0), 100);
  assert.equal(nextDelay(settings, 'starting', 9_999), 100);
  assert.equal(nextDelay(settings, 'healthy', 500), 1000);
  assert.equal(nextDelay(settings, 'starting', 10_000), 1000);
  assert.equal(nextDelay({ ...settings, startPeriodMs: 0 }, 'starting', 0), 1000);
  // an interval longer than a Node timer holds: the longest one (not 1 ms, a probe loop)
  const month = 30 * 24 * 3600 * 1000;
  assert.equal(nextDelay({ ...settings, intervalMs: month }, 'healthy', 0), 2 ** 31 - 1);
});

test('logEntry: a timeout is exit code -1 with dockerd text, its output after it', () => {
  const start = new Date('2026-01-01T00:00:00.000Z');
  const end = new Date('2026-01-01T00:00:00.500Z');
  assert.deepEqual(logEntry(settings, { exitCode: 0, output: 'hi\n', timedOut: false }, start, end), {
    Start: '2026-01-01T00:00:00.000Z',
    End: '2026-01-01T00:00:00.500Z',
    ExitCode: 0,
    Output: 'hi\n',
  });
  const late = logEntry(settings, { exitCode: 137, output: '', timedOut: true }, start, end);
  assert.equal(late.ExitCode, -1);
  assert.equal(late.Output, 'Health check exceeded timeout (500ms)');
  const partial = logEntry(settings, { exitCode: -1, output: 'partial\n', timedOut: true }, start, end);
  assert.equal(partial.Output, 'Health check exceeded timeout (500ms): partial\n');
});

describe('applyResult', () => {
  const startedAt = '2026-01-01T00:00:00.000Z';
  const at = (s: number, code: number) => ({
    Start: new Date(Date.parse(startedAt) + s * 1000).toISOString(),
    End: new Date(Date.parse(startedAt) + s * 1000 + 10).toISOString(),
    ExitCode: code,
    Output: '',
  });
  const o = { startedAt, startPeriodMs: 5_000, retries: 2 };
  const starting: Health = { Status: 'starting', FailingStreak: 0, Log: [] };

  test('failures within the start period do not count; a success makes it healthy', () => {
    let h = applyResult(starting, at(1, 1), o);
    assert.equal(h.Status, 'starting');
    assert.equal(h.FailingStreak, 0);
    h = applyResult(h, at(2, 1), o);
    h = applyResult(h, at(3, 1), o);
    assert.equal(h.Status, 'starting');
    assert.equal(h.FailingStreak, 0);
    h = applyResult(h, at(4, 0), o);
    assert.equal(h.Status, 'healthy');
    assert.equal(h.Log.length, 4);
  });

  test('after the start period, `retries` failures in a row make it unhealthy; a success heals it', () => {
    let h = applyResult(starting, at(6, 1), o);
    assert.deepEqual([h.Status, h.FailingStreak], ['starting', 1]);
    h = applyResult(h, at(7, -1), o);
    assert.deepEqual([h.Status, h.FailingStreak], ['unhealthy', 2]);
    h = applyResult(h, at(8, 0), o);
    assert.deepEqual([h.Status, h.FailingStreak], ['healthy', 0]);
  });

  test('a healthy container counts failures even within the start period', () => {
    let h = applyResult(starting, at(1, 0), o);
    h = applyResult(h, at(2, 1), o);
    assert.deepEqual([h.Status, h.FailingStreak], ['healthy', 1]);
    h = applyResult(h, at(3, 1), o);
    assert.deepEqual([h.Status, h.FailingStreak], ['unhealthy', 2]);
  });

  test('the log keeps the last 5 results', () => {
    let h = starting;
    for (let i = 0; i < 8; i++) h = applyResult(h, { ...at(10 + i, 0), Output: String(i) }, o);
    assert.deepEqual(
      h.Log.map((e) => e.Output),
      ['3', '4', '5', '6', '7'],
    );
  });
});

describe('HealthMonitors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-health-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new ContainerStore(join(dir, 'containers'));
  const events = new EventBus();

  const record = (id: string, test: string[], extra: Record<string, number> = {}): ContainerRecord => {
    const rec = runningRecord(id, {
      Config: { Image: 'busybox', Healthcheck: { Test: test, Interval: 20 * MS, ...extra } },
    });
    store.save(rec);
    return rec;
  };
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(cond());
  };

  test('probes until unhealthy, with one health_status event per change; stops on stop', async () => {
    const calls: string[][] = [];
    let code = 0;
    const actions: string[] = [];
    const ac = new AbortController();
    void (async () => {
      for await (const e of events.subscribe({}, ac.signal)) actions.push(e.Action);
    })();
    const monitors = new HealthMonitors({
      store,
      events,
      probe: async (_id, cmd): Promise<ProbeResult> => {
        calls.push(cmd);
        return { exitCode: code, output: `code ${code}\n`, timedOut: false };
      },
    });
    const rec = record('c1', ['CMD-SHELL', 'check'], { Retries: 2 });
    monitors.start(rec);
    assert.equal(store.get('c1').State.Health?.Status, 'starting');
    await until(() => store.get('c1').State.Health?.Status === 'healthy');
    code = 1;
    await until(() => store.get('c1').State.Health?.Status === 'unhealthy');
    assert.equal(store.get('c1').State.Health?.FailingStreak, 2);
    assert.deepEqual(calls[0], ['/bin/sh', '-c', 'check']);
    monitors.stop('c1');
    const n = calls.length;
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(calls.length, n);
    ac.abort();
    assert.deepEqual(
      actions.filter((a) => a.startsWith('health_status')),
      ['health_status: healthy', 'health_status: unhealthy'],
    );
  });

  test('no Health for NONE; adoption keeps the status it had', async () => {
    const monitors = new HealthMonitors({
      store,
      events,
      probe: async () => ({ exitCode: 0, output: '', timedOut: false }),
    });
    const none = record('c2', ['NONE']);
    monitors.start(none);
    assert.equal(store.get('c2').State.Health, undefined);
    const kept = record('c3', ['CMD', 'true'], { Interval: 60_000 * MS });
    kept.State.Health = { Status: 'unhealthy', FailingStreak: 3, Log: [] };
    monitors.adopt([kept]);
    assert.equal(store.get('c3').State.Health?.Status, 'unhealthy');
    monitors.close();
  });

  test('a probe that cannot run is a failure with the error as its output', async () => {
    const monitors = new HealthMonitors({
      store,
      events,
      probe: async () => {
        throw new Error('Container c5 is paused, unpause the container before exec');
      },
    });
    const rec = record('c5', ['CMD', 'true'], { Retries: 1 });
    monitors.start(rec);
    await until(() => store.get('c5').State.Health?.Status === 'unhealthy');
    const [first] = store.get('c5').State.Health?.Log ?? [];
    assert.equal(first.ExitCode, -1);
    assert.match(first.Output, /is paused/);
    monitors.close();
  });

  test('a result that comes back after the container stopped is dropped', async () => {
    let release!: () => void;
    const monitors = new HealthMonitors({
      store,
      events,
      probe: () =>
        new Promise<ProbeResult>((r) => {
          release = () => r({ exitCode: 0, output: '', timedOut: false });
        }),
    });
    const rec = record('c4', ['CMD', 'true']);
    monitors.start(rec);
    await until(() => release !== undefined);
    rec.State.Running = false;
    monitors.stop('c4');
    release();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(store.get('c4').State.Health?.Status, 'starting');
  });
});
