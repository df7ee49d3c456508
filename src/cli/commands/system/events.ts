// berth events / berth system events: the daemon's event stream, live or between two times.

import type { EngineEvent } from '../../../common/events.ts';
import type { CommandDef } from '../../command.ts';
import { filtersToJSON, parseFilterFlags } from '../../format/filters.ts';
import { formatWith } from '../../output.ts';

/** Docker's default event line: `2024-01-02T03:04:05.123456789Z image tag sha256:… (name=x)`. */
export function renderEvent(e: EngineEvent): string {
  const time = new Date(Math.floor(e.timeNano / 1e6))
    .toISOString()
    .replace(/\.(\d{3})Z$/, (_, ms: string) => {
      return `.${ms}${String(e.timeNano % 1e6).padStart(6, '0')}Z`;
    });
  const attrs = Object.entries(e.Actor.Attributes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `${time} ${e.Type} ${e.Action} ${e.Actor.ID}${attrs ? ` (${attrs})` : ''}\n`;
}

export const events: CommandDef = {
  path: ['system', 'events'],
  aliases: [['events']],
  summary: 'Get real time events from the server',
  usage: 'berth events [OPTIONS]',
  flags: [
    { name: 'filter', short: 'f', type: 'list', description: 'Filter output based on conditions provided' },
    { name: 'format', type: 'string', description: 'Format output using a custom template' },
    { name: 'since', type: 'string', description: 'Show all events created since timestamp' },
    { name: 'until', type: 'string', description: 'Stream events until this timestamp' },
  ],
  async run(ctx, opts) {
    const client = await ctx.client();
    const query = {
      since: opts.since as string | undefined,
      until: opts.until as string | undefined,
      filters: filtersToJSON(parseFilterFlags(opts.filter as string[])) || undefined,
    };
    for await (const e of client.stream<EngineEvent>('GET', '/events', { query, signal: ctx.signal })) {
      ctx.out.write(opts.format ? formatWith(String(opts.format), e) : renderEvent(e));
    }
    return 0;
  },
};
