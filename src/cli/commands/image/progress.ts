// Printing the JSON message streams of load, import (and later pull, push, build).

import type { CommandContext } from '../../command.ts';

export interface JsonMessage {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message: string };
}

/** Prints each message; an error message ends the command with status 1, as docker does. */
export async function progressLines(
  ctx: CommandContext,
  messages: AsyncIterable<JsonMessage>,
): Promise<number> {
  for await (const m of messages) {
    if (m.errorDetail || m.error) {
      ctx.err.write(`${m.errorDetail?.message ?? m.error}\n`);
      return 1;
    }
    if (m.stream) ctx.out.write(m.stream);
    else if (m.status)
      ctx.out.write(`${m.id ? `${m.id}: ` : ''}${m.status}${m.progress ? ` ${m.progress}` : ''}\n`);
  }
  return 0;
}
