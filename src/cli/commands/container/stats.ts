// berth stats / berth container stats: live resource usage of containers, redrawn every half
// second (or once with --no-stream); without names, every running container (-a: all), joined
// by the ones that start meanwhile.

import type { ApiClient } from '../../../api/client/client.ts';
import type { CommandContext, CommandDef } from '../../command.ts';
import { cpath, errorText } from './common.ts';
import { formatStats, invalidEntry, type StatsEntry, type StatsJSON, statsEntry } from './stats-format.ts';

class Collector {
  readonly entries = new Map<string, StatsEntry>();
  readonly errors = new Map<string, unknown>();
  readonly #client: ApiClient;
  readonly #stream: boolean;
  readonly #signal: AbortSignal;
  readonly #firsts: Promise<void>[] = [];

  constructor(client: ApiClient, stream: boolean, signal: AbortSignal) {
    this.#client = client;
    this.#stream = stream;
    this.#signal = signal;
  }

  has(container: string): boolean {
    return this.entries.has(container) || this.errors.has(container);
  }

  /** Starts reading one container's stats; `firsts()` waits for the first reading of each. */
  add(container: string): void {
    if (this.has(container)) return;
    this.entries.set(container, { ...invalidEntry(container), IsInvalid: false });
    let first: () => void = () => {};
    this.#firsts.push(new Promise((resolve) => (first = resolve)));
    (async () => {
      try {
        for await (const v of this.#client.stream<StatsJSON>('GET', cpath(container, '/stats'), {
          query: { stream: this.#stream ? 1 : 0 },
          signal: this.#signal,
        })) {
          if (this.entries.has(container)) this.entries.set(container, statsEntry(container, v));
          first();
        }
      } catch (err) {
        if (this.#signal.aborted) return;
        const seen = this.entries.get(container);
        if (seen && seen.ID === '') {
          this.entries.delete(container);
          this.errors.set(container, err);
        } else if (seen) this.entries.set(container, { ...seen, IsInvalid: true });
      } finally {
        first();
      }
    })();
  }

  remove(container: string): void {
    this.entries.delete(container);
  }

  firsts(): Promise<unknown> {
    return Promise.all(this.#firsts);
  }
}

async function watchEvents(
  client: ApiClient,
  signal: AbortSignal,
  all: boolean,
  c: Collector,
): Promise<void> {
  const filters = JSON.stringify({ type: { container: true } });
  try {
    for await (const e of client.stream<{
      Action?: string;
      status?: string;
      id?: string;
      Actor?: { ID: string };
    }>('GET', '/events', { query: { filters }, signal })) {
      const id = e.Actor?.ID ?? e.id;
      if (!id) continue;
      const action = e.Action ?? e.status ?? '';
      if (action === 'start' || (all && action === 'create')) c.add(id);
      else if (action === 'die' && !all) c.remove(id);
      else if (action === 'destroy') c.remove(id);
    }
  } catch {
    // the event stream ends with the command
  }
}

export const stats: CommandDef = {
  path: ['container', 'stats'],
  aliases: [['stats']],
  summary: 'Display a live stream of container(s) resource usage statistics',
  usage: 'berth stats [OPTIONS] [CONTAINER...]',
  flags: [
    {
      name: 'all',
      short: 'a',
      type: 'bool',
      description: 'Show all containers (default shows just running)',
    },
    { name: 'format', type: 'string', description: 'Format output using a custom template' },
    {
      name: 'no-stream',
      type: 'bool',
      description: 'Disable streaming stats and only pull the first result',
    },
    { name: 'no-trunc', type: 'bool', description: 'Do not truncate output' },
  ],
  async run(ctx: CommandContext, opts, args) {
    const client = await ctx.client();
    const stream = opts['no-stream'] !== true;
    const all = opts.all === true;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    ctx.signal.addEventListener('abort', onAbort);
    const c = new Collector(client, stream, controller.signal);
    try {
      if (args.length > 0) {
        for (const name of args) c.add(name);
        await c.firsts();
        if (c.errors.size > 0) {
          for (const name of args)
            if (c.errors.has(name)) ctx.err.write(`${errorText(c.errors.get(name))}\n`);
          return 1;
        }
      } else {
        if (stream) void watchEvents(client, controller.signal, all, c);
        const list = await client.json<{ Id: string }[]>('GET', '/containers/json', {
          query: { all: all ? 1 : undefined },
        });
        for (const ctr of list) c.add(ctr.Id);
        await c.firsts();
      }
      const format = (opts.format as string | undefined) ?? '';
      const noTrunc = opts['no-trunc'] === true;
      const render = () => formatStats([...c.entries.values()], format, noTrunc);
      if (!stream) {
        ctx.out.write(render());
        return 0;
      }
      while (!ctx.signal.aborted) {
        if (ctx.signal.aborted) return 130;
        ctx.out.write(`\x1b[2J\x1b[H${render()}`);
        if (c.entries.size === 0 && args.length === 0 && !all) break;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 500);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return ctx.signal.aborted ? 130 : 0;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      controller.abort();
    }
  },
};
