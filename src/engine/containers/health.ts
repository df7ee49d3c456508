// Healthchecks (Config.Healthcheck), as dockerd runs them: one monitor per running container
// that has a probe, running it as an exec every Interval (every StartInterval while the
// container is still starting within its StartPeriod), killing it after Timeout, and keeping
// State.Health — Status starting|healthy|unhealthy, FailingStreak, the last 5 results — in the
// container's record, with a `health_status: …` event whenever the status changes.
// The decisions (which command, which delay, what a result does) are pure functions below.

import { makeEvent } from '../../common/events.ts';
import { MAX_TIMER_MS } from '../../common/timers.ts';
import type { HealthConfig, StrSlice } from '../../spec/docker/api.ts';
import type { EventBus } from '../events.ts';
import type { ProbeResult } from './probe.ts';
import type { ContainerConfig, ContainerRecord, ContainerStore, Health } from './record.ts';

const NS_PER_MS = 1e6;
/** dockerd's defaults (ns) for values left at 0 */
export const DEFAULT_INTERVAL = 30_000 * NS_PER_MS;
export const DEFAULT_TIMEOUT = 30_000 * NS_PER_MS;
export const DEFAULT_START_PERIOD = 0;
export const DEFAULT_START_INTERVAL = 5_000 * NS_PER_MS;
export const DEFAULT_RETRIES = 3;
/** results kept in State.Health.Log */
export const MAX_LOG_ENTRIES = 5;

export type HealthLogEntry = Health['Log'][number];

export interface HealthSettings {
  /** what the probe execs */
  cmd: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
  /** the timeout as Go prints a duration, for the timeout message */
  timeoutText: string;
}

const strSlice = (v: StrSlice | undefined): string[] => (v == null ? [] : typeof v === 'string' ? [v] : v);

/**
 * The probe's command: Test ["CMD", args…] as given, ["CMD-SHELL", command] through the
 * container's Shell (default /bin/sh -c). No probe for no Test, ["NONE"] or an unknown kind.
 */
export function probeCommand(hc: HealthConfig | null | undefined, shell?: StrSlice): string[] | undefined {
  const test = strSlice(hc?.Test);
  if (test.length === 0) return undefined;
  const [kind, ...rest] = test;
  if (kind === 'CMD') return rest.length ? rest : undefined;
  if (kind === 'CMD-SHELL') {
    const sh = strSlice(shell);
    return [...(sh.length ? sh : ['/bin/sh', '-c']), ...rest];
  }
  return undefined;
}

/** Go's time.Duration.String(): 500ms, 1.5s, 1m30s, 2h0m0s, 1µs. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let n = Math.abs(Math.round(ns));
  const sign = neg ? '-' : '';
  const frac = (v: number, digits: number) => {
    const whole = Math.floor(v / 10 ** digits);
    const rest = (v % 10 ** digits).toString().padStart(digits, '0').replace(/0+$/, '');
    return rest ? `${whole}.${rest}` : String(whole);
  };
  if (n < 1e3) return `${sign}${n}ns`;
  if (n < 1e6) return `${sign}${frac(n, 3)}µs`;
  if (n < 1e9) return `${sign}${frac(n, 6)}ms`;
  const h = Math.floor(n / 3600e9);
  n -= h * 3600e9;
  const m = Math.floor(n / 60e9);
  n -= m * 60e9;
  const s = `${frac(n, 9)}s`;
  if (h) return `${sign}${h}h${m}m${s}`;
  if (m) return `${sign}${m}m${s}`;
  return `${sign}${s}`;
}

/** The monitor's settings, or undefined when the container has no probe. */
export function healthSettings(config: ContainerConfig): HealthSettings | undefined {
  const hc = config.Healthcheck;
  const cmd = probeCommand(hc, config.Shell);
  if (!hc || !cmd) return undefined;
  const or = (v: number | undefined, def: number) => (v ? v : def);
  const timeout = or(hc.Timeout, DEFAULT_TIMEOUT);
  return {
    cmd,
    intervalMs: or(hc.Interval, DEFAULT_INTERVAL) / NS_PER_MS,
    timeoutMs: timeout / NS_PER_MS,
    startPeriodMs: or(hc.StartPeriod, DEFAULT_START_PERIOD) / NS_PER_MS,
    startIntervalMs: or(hc.StartInterval, DEFAULT_START_INTERVAL) / NS_PER_MS,
    retries: or(hc.Retries, DEFAULT_RETRIES),
    timeoutText: goDuration(timeout),
  };
}

/** How long until the next probe: StartInterval while starting within the start period. */
export function nextDelay(s: HealthSettings, status: Health['Status'], sinceStartMs: number): number {
  const ms = sinceStartMs < s.startPeriodMs && status === 'starting' ? s.startIntervalMs : s.intervalMs;
  return Math.min(ms, MAX_TIMER_MS);
}

/** The log entry of a probe: a timeout is exit code -1 with dockerd's text. */
export function logEntry(s: HealthSettings, r: ProbeResult, start: Date, end: Date): HealthLogEntry {
  let output = r.output;
  if (r.timedOut) {
    const text = `Health check exceeded timeout (${s.timeoutText})`;
    output = output ? `${text}: ${output}` : text;
  }
  return {
    Start: start.toISOString(),
    End: end.toISOString(),
    ExitCode: r.timedOut ? -1 : r.exitCode,
    Output: output,
  };
}

/**
 * dockerd's handleProbeResult: a success makes the container healthy; a failure adds to the
 * failing streak (unless the container is still starting within its start period) and, at
 * `retries`, makes it unhealthy.
 */
export function applyResult(
  h: Health,
  entry: HealthLogEntry,
  o: { startedAt: string; startPeriodMs: number; retries: number },
): Health {
  const Log = [...h.Log, entry].slice(-MAX_LOG_ENTRIES);
  if (entry.ExitCode === 0) return { Status: 'healthy', FailingStreak: 0, Log };
  let { Status, FailingStreak } = h;
  const starting =
    Status === 'starting' && Date.parse(entry.Start) - Date.parse(o.startedAt) < o.startPeriodMs;
  if (!starting) {
    FailingStreak++;
    if (FailingStreak >= o.retries) Status = 'unhealthy';
  }
  return { Status, FailingStreak, Log };
}

export interface HealthHost {
  store: ContainerStore;
  events: EventBus;
  /** runs the probe as an exec in the container (Execs.runProbe) */
  probe(containerId: string, cmd: string[], timeoutMs: number): Promise<ProbeResult>;
}

interface Monitor {
  timer?: NodeJS.Timeout;
}

export class HealthMonitors {
  readonly #host: HealthHost;
  readonly #monitors = new Map<string, Monitor>();

  constructor(host: HealthHost) {
    this.#host = host;
  }

  /**
   * The container has started: its health is `starting` again (streak 0, log kept) and its
   * probe runs after the first interval. `fresh: false` (re-adopted after a berthd restart)
   * keeps the status it had.
   */
  start(rec: ContainerRecord, fresh = true): void {
    this.stop(rec.ID);
    const s = healthSettings(rec.Config);
    if (!s) return;
    const h = rec.State.Health;
    if (fresh || !h) {
      rec.State.Health = { Status: 'starting', FailingStreak: 0, Log: h?.Log ?? [] };
      this.#host.store.save(rec);
    }
    const m: Monitor = {};
    this.#monitors.set(rec.ID, m);
    this.#schedule(rec.ID, m, s);
  }

  /** The container has stopped (its status is left as the exit made it). */
  stop(id: string): void {
    const m = this.#monitors.get(id);
    if (!m) return;
    clearTimeout(m.timer);
    this.#monitors.delete(id);
  }

  /** After a berthd restart: monitors for the running containers that have none. */
  adopt(records: ContainerRecord[]): void {
    for (const rec of records) if (rec.State.Running && !this.#monitors.has(rec.ID)) this.start(rec, false);
  }

  close(): void {
    for (const id of [...this.#monitors.keys()]) this.stop(id);
  }

  #current(id: string, m: Monitor): ContainerRecord | undefined {
    if (this.#monitors.get(id) !== m) return undefined;
    const rec = this.#host.store.find(id);
    return rec?.State.Running ? rec : undefined;
  }

  #schedule(id: string, m: Monitor, s: HealthSettings): void {
    const rec = this.#current(id, m);
    if (!rec) return;
    const delay = nextDelay(
      s,
      rec.State.Health?.Status ?? 'starting',
      Date.now() - Date.parse(rec.State.StartedAt),
    );
    m.timer = setTimeout(() => void this.#probe(id, m, s), delay);
  }

  async #probe(id: string, m: Monitor, s: HealthSettings): Promise<void> {
    const rec = this.#current(id, m);
    if (!rec) return;
    // a paused container is not probed (dockerd stops its monitor until unpause)
    if (!rec.State.Paused) {
      const start = new Date();
      // as dockerd: a probe that cannot run is a failed probe with the error as its output
      const result = await this.#host
        .probe(id, s.cmd, s.timeoutMs)
        .catch((err: Error): ProbeResult => ({ exitCode: -1, output: err.message, timedOut: false }));
      const now = this.#current(id, m);
      // stopped, restarted or removed meanwhile: the result is not this run's
      if (!now || now.State.StartedAt !== rec.State.StartedAt) return;
      const before = now.State.Health ?? { Status: 'starting', FailingStreak: 0, Log: [] };
      const after = applyResult(before, logEntry(s, result, start, new Date()), {
        startedAt: now.State.StartedAt,
        startPeriodMs: s.startPeriodMs,
        retries: s.retries,
      });
      now.State.Health = after;
      this.#host.store.save(now);
      if (after.Status !== before.Status) this.#emit(now, `health_status: ${after.Status}`);
    }
    this.#schedule(id, m, s);
  }

  #emit(rec: ContainerRecord, action: string): void {
    this.#host.events.publish(
      makeEvent('container', action, rec.ID, {
        ...(rec.Config.Labels ?? {}),
        image: rec.Config.Image ?? '',
        name: rec.Name.slice(1),
      }),
    );
  }
}
