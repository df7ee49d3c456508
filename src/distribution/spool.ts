// A layer download written to a temp file of the content store that the unpacker reads while it
// grows: the bytes cross the network once, are hashed once on the way in, and the layer can be
// unpacked before the download has finished (its parent permitting). The blob becomes visible in
// the content store only when every byte has arrived and matched the digest; an unpack that read
// from the spool is only kept if that happens (the caller removes it otherwise).

import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { invalidArgument } from '../common/errors.ts';
import type { ContentStore } from '../image/content-store.ts';
import type { Digest } from '../image/digest.ts';

const SPOOL_WRITE = 1 << 20;

export class Spool {
  readonly path: string;
  #written = 0;
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

  /**
   * Writes `chunks` to the spool, then checks size and digest and commits it as the blob.
   * Refused (InvalidArgument) and removed when the bytes do not match.
   */
  async fill(
    content: ContentStore,
    chunks: AsyncIterable<Buffer>,
    expect: { digest: Digest; size: number },
  ): Promise<void> {
    const hash = createHash('sha256');
    const fh = await open(this.path, 'wx', 0o600);
    try {
      try {
        // writes (and wake-ups of the reader) of about 1 MiB rather than per network read
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        const flush = async () => {
          if (!pendingBytes) return;
          const bufs = pending;
          const n = pendingBytes;
          pending = [];
          pendingBytes = 0;
          let written = 0;
          while (written < n) {
            const r = await fh.writev(written ? [Buffer.concat(bufs).subarray(written)] : bufs);
            written += r.bytesWritten;
          }
          this.#written += n;
          this.#wake();
        };
        for await (const chunk of chunks) {
          if (this.#written + pendingBytes + chunk.length > expect.size)
            throw invalidArgument(
              `size mismatch for ${expect.digest}: expected ${expect.size} bytes, got more`,
            );
          hash.update(chunk);
          pending.push(chunk);
          pendingBytes += chunk.length;
          if (pendingBytes >= SPOOL_WRITE) await flush();
        }
        await flush();
      } finally {
        await fh.close();
      }
      if (this.#written !== expect.size)
        throw invalidArgument(
          `size mismatch for ${expect.digest}: expected ${expect.size} bytes, got ${this.#written}`,
        );
      const digest = `sha256:${hash.digest('hex')}`;
      if (digest !== expect.digest)
        throw invalidArgument(`digest mismatch: expected ${expect.digest}, got ${digest}`);
      await content.commit(this.path, expect.digest);
      this.#done = true;
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
    try {
      for (;;) {
        if (this.#error !== undefined) throw this.#error;
        if (pos >= this.#written) {
          if (this.#done) return;
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
        const buf = Buffer.allocUnsafe(Math.min(chunkSize, this.#written - pos));
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) throw new Error(`${this.path}: short read at ${pos} of ${this.#written}`);
        pos += bytesRead;
        yield buf.subarray(0, bytesRead);
      }
    } finally {
      await fh?.close();
    }
  }
}
