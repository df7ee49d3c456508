// A streaming tar writer: an async generator of chunks, pulled by its consumer (wrap it in
// Readable.from for a stream), so file bodies are read only as fast as the output drains.

import { invalidArgument } from '../../common/errors.ts';
import { BLOCK, encodeHeader, type TarHeader } from './header.ts';

export interface TarInput extends TarHeader {
  /** Exactly `size` bytes for files; absent for everything else. */
  body?: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

async function* bodyChunks(body: TarInput['body']): AsyncGenerator<Uint8Array> {
  if (body === undefined) return;
  if (body instanceof Uint8Array) yield body;
  else yield* body;
}

/** Serializes entries, then the two zero blocks that end an archive. */
export async function* writeTar(
  entries: AsyncIterable<TarInput> | Iterable<TarInput>,
): AsyncGenerator<Buffer> {
  for await (const entry of entries) {
    yield encodeHeader(entry);
    let written = 0;
    for await (const chunk of bodyChunks(entry.body)) {
      written += chunk.length;
      if (written > entry.size) break;
      yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    }
    if (written !== entry.size) {
      throw invalidArgument(
        `tar: entry "${entry.name}": body has ${written} bytes, header says ${entry.size}`,
      );
    }
    const rem = entry.size % BLOCK;
    if (rem) yield Buffer.alloc(BLOCK - rem);
  }
  yield Buffer.alloc(2 * BLOCK);
}
