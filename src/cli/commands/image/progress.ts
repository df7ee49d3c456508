// Printing the JSON message streams of load, import, pull and push. On a terminal, messages
// with an id (a layer) each keep one line that is redrawn in place, with a bar drawn from
// progressDetail, as the docker CLI does; elsewhere every message is one line.

import { DaemonError } from '../../../api/client/client.ts';
import type { CommandContext } from '../../command.ts';

export interface JsonMessage {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message: string };
  aux?: unknown;
}

const isTerminal = (s: NodeJS.WritableStream) => (s as { isTTY?: boolean }).isTTY === true;

/** Prints each message; an error message ends the command with status 1, as docker does. */
export async function progressLines(
  ctx: CommandContext,
  messages: AsyncIterable<JsonMessage>,
  opts: { quiet?: boolean; throwErrors?: boolean } = {},
): Promise<number> {
  const tty = isTerminal(ctx.out);
  const lines = new Map<string, number>();
  for await (const m of messages) {
    if (m.errorDetail || m.error) {
      if (opts.throwErrors) throw new DaemonError(500, m.errorDetail?.message ?? m.error ?? '');
      ctx.err.write(`${m.errorDetail?.message ?? m.error}\n`);
      return 1;
    }
    if (opts.quiet) continue;
    if (m.stream) ctx.out.write(m.stream);
    // off a terminal the docker CLI drops progress messages (those with a current or total)
    else if (!tty && ((m.progressDetail?.current ?? 0) > 0 || (m.progressDetail?.total ?? 0) > 0)) continue;
    else if (m.status) {
      const text = `${m.id ? `${m.id}: ` : ''}${m.status}${m.progress ? ` ${m.progress}` : ''}`;
      if (!tty || !m.id) {
        if (tty && !m.id) lines.clear();
        ctx.out.write(`${text}\n`);
        continue;
      }
      let line = lines.get(m.id);
      if (line === undefined) {
        line = lines.size;
        lines.set(m.id, line);
        ctx.out.write('\n');
      }
      const up = lines.size - line;
      ctx.out.write(`\x1b[${up}A\x1b[2K\r${text}\x1b[${up}B\r`);
    }
  }
  return 0;
}
