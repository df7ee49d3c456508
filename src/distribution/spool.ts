// A layer download written to a temp file of the content store that the unpacker reads while it
// grows: the bytes cross the network once, are hashed once on the way in, and the layer can be
// unpacked before the download has finished (its parent permitting). The blob becomes visible in
// the content store only when every byte has arrived and matched the digest; an unpack that read
// from the spool is only kept if that happens (the caller removes it otherwise).
//
// The reader mostly takes the bytes from memory: the chunks received are kept (up to
// MEMORY_BYTES) until it has passed them on, so they are not read back from the file; a reader
// that falls further behind (its layer waiting on the one below) reads from the file instead.
//
// Chunks that are views of slabs (src/storage/slabs.ts: a plain-HTTP download) are released
// once the hash has written them and the reader has passed them on (its consumer then holds
// them) or they were dropped from memory unread, so the download's slabs are reused.

import { open, rm } from 'node:fs/promises';
import { invalidArgument } from '../common/errors.ts';
import type { ContentStore } from '../image/content-store.ts';
import type { Digest } from '../image/digest.ts';
import { ThreadpoolSha256 } from '../storage/hash.ts';
import { doneWriting, hold, release, retain, SLAB_BYTES, takeSlab } from '../storage/slabs.ts';

/** Received bytes kept in memory for the reader, at most. */
const MEMORY_BYTES = 16 << 20;

export class Spool {
  readonly path: string;
  /** Bytes in the file. */
  #written = 0;
  /** Received chunks from file offset #memoryStart on, in order. */
  #memory: Buffer[] = [];
  #memoryStart = 0;
  #memoryBytes = 0;
  #reading = false;
  #done = false;
  #error: unknown;
  #waiters: (() => void)[] = [];

  constructor(path: string) {
    this.path = path;
  }

  get finished(): boolean {
    return this.#done;
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Keeps a received chunk for the reader, dropping the oldest beyond MEMORY_BYTES. */
  #remember(chunk: Buffer): void {
    this.#memory.push(chunk);
    this.#memoryBytes += chunk.length;
    while (this.#memoryBytes > MEMORY_BYTES) this.#forget();
    this.#wake();
  }

  /** Drops the oldest chunk kept; `passed`: the reader has handed on its bytes from `passed` on. */
  #forget(passed?: number): void {
    const first = this.#memory.shift()!;
    this.#memoryStart += first.length;
    this.#memoryBytes -= first.length;
    // (the reader's consumer now holds what was passed on; the rest is let go here)
    release(passed === undefined ? first : first.subarray(0, passed));
  }

  /**
   * Writes `chunks` to the spool, then checks size and digest and commits it as the blob.
   * Refused (InvalidArgument) and removed when the bytes do not match.
   */
  async fill(
    content: ContentStore,
    chunks: AsyncIterable<Buffer>,
    expect: { digest: Digest; size: number },
  ): Promise<void> {
    const fh = await open(this.path, 'wx', 0o600);
    // hashed and written on the threadpool, about 1 MiB an update (one wake-up of the reader each)
    const hash = new ThreadpoolSha256({
      fd: fh.fd,
      onDone: (n) => {
        this.#written += n;
        this.#wake();
      },
      onChunksDone: (chunks) => {
        for (const c of chunks) release(c);
      },
    });
    try {
      let received = 0;
      try {
        for await (const chunk of chunks) {
          received += chunk.length;
          if (received > expect.size)
            throw invalidArgument(
              `size mismatch for ${expect.digest}: expected ${expect.size} bytes, got more`,
            );
          retain(chunk); // (one holder more: the hash beside the memory)
          const full = hash.update(chunk);
          this.#remember(chunk);
          if (full) await full;
        }
        await hash.flush();
      } finally {
        await hash.idle(); // never close an fd an update is still writing to
        await fh.close();
      }
      if (received !== expect.size)
        throw invalidArgument(
          `size mismatch for ${expect.digest}: expected ${expect.size} bytes, got ${received}`,
        );
      const digest = await hash.digest();
      if (digest !== expect.digest)
        throw invalidArgument(`digest mismatch: expected ${expect.digest}, got ${digest}`);
      await content.commit(this.path, expect.digest);
      this.#done = true;
      // (no reader yet: one that comes now reads the blob; memory is no longer needed)
      if (!this.#reading) while (this.#memory.length) this.#forget();
    } catch (err) {
      this.#error = err;
      await rm(this.path, { force: true });
      throw err;
    } finally {
      this.#wake();
    }
  }

  /** The bytes as they arrive, to the end of the download; fails if the download fails. */
  async *read(blobPath: string, chunkSize = 1 << 20): AsyncGenerator<Buffer> {
    let pos = 0;
    let fh: Awaited<ReturnType<typeof open>> | undefined;
    const wait = () => new Promise<void>((r) => this.#waiters.push(r));
    this.#reading = true;
    try {
      for (;;) {
        if (this.#error !== undefined) throw this.#error;
        // from memory (what this reader has passed on is dropped there)
        while (this.#memory.length && this.#memoryStart + this.#memory[0].length <= pos) this.#forget();
        if (this.#memory.length && this.#memoryStart <= pos) {
          const first = this.#memory[0];
          const from = pos - this.#memoryStart;
          const chunk = from === 0 ? first : first.subarray(from);
          pos += chunk.length;
          this.#forget(from);
          yield chunk;
          continue;
        }
        // from the file: what memory no longer holds, once written
        const end = Math.min(this.#written, this.#memory.length ? this.#memoryStart : this.#written);
        if (pos >= end) {
          if (this.#done && pos >= this.#written) return;
          await wait();
          continue;
        }
        if (!fh) {
          try {
            // once committed the temp file has become the blob; an open handle reads on either way
            fh = await open(this.#done ? blobPath : this.path, 'r');
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
            if (!this.#done && this.#error === undefined) await wait();
            continue;
          }
        }
        // (into a slab: the consumer may release it, as it does the downloaded chunks)
        const slab = takeSlab();
        let view: Buffer;
        try {
          const n = Math.min(chunkSize, SLAB_BYTES, end - pos);
          const { bytesRead } = await fh.read(slab, 0, n, pos);
          if (bytesRead === 0) throw new Error(`${this.path}: short read at ${pos} of ${end}`);
          view = slab.subarray(0, bytesRead);
          hold(view);
        } finally {
          doneWriting(slab);
        }
        pos += view.length;
        yield view;
      }
    } finally {
      await fh?.close();
    }
  }
}
