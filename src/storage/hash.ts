// SHA-256 on the threadpool (native/fsops/hash.c): the per-byte hashing of a pull (a layer's
// blob digest and its DiffID) off the JS thread, which also parses HTTP and tar. Chunks are
// gathered into updates of about 1 MiB and hashed in order, one update in flight at a time; the
// caller must not change a chunk after handing it over (network reads, decompressor output and
// file reads are never reused). With `fd`, each update also writes its chunks there.

import { fsops } from './native.ts';

/** Bytes gathered before an update is queued. */
const UPDATE_BYTES = 1 << 20;
/** Bytes queued but not yet hashed beyond which `update` asks the caller to wait. */
const MAX_QUEUED = 32 << 20;

export class ThreadpoolSha256 {
  readonly #state = fsops().sha256Init();
  readonly #fd: number;
  readonly #onDone: ((bytes: number) => void) | undefined;
  readonly #onChunksDone: ((chunks: Buffer[]) => void) | undefined;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #queued = 0;
  #tail: Promise<void> = Promise.resolve();
  #error: unknown;
  #done = false;

  /**
   * With `fd`, every byte hashed is also written there (at its current offset). `onDone` hears,
   * in order, of the bytes of each update hashed (and written).
   */
  constructor(
    opts: {
      fd?: number;
      onDone?: (bytes: number) => void;
      /** The chunks of an update the native side is done with (hashed, written, or failed). */
      onChunksDone?: (chunks: Buffer[]) => void;
    } = {},
  ) {
    this.#fd = opts.fd ?? -1;
    this.#onDone = opts.onDone;
    this.#onChunksDone = opts.onChunksDone;
  }

  /**
   * Adds `chunk`. Returns a promise when more than MAX_QUEUED bytes wait to be hashed (or, with
   * an fd, written): the caller should await it before the next chunk.
   */
  update(chunk: Buffer): Promise<void> | undefined {
    if (this.#done) throw new Error('sha256: update after digest');
    if (this.#error !== undefined) throw this.#error;
    if (chunk.length === 0) return undefined;
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    if (this.#bytes >= UPDATE_BYTES || this.#chunks.length >= 1024) this.#queue();
    return this.#queued > MAX_QUEUED ? this.#tail : undefined;
  }

  /** Queues what is gathered; resolves once everything handed over is hashed (and written). */
  flush(): Promise<void> {
    this.#queue();
    return this.#tail;
  }

  #queue(): void {
    if (this.#chunks.length === 0) return;
    const chunks = this.#chunks;
    const n = this.#bytes;
    this.#chunks = [];
    this.#bytes = 0;
    this.#queued += n;
    this.#tail = this.#tail.then(async () => {
      if (this.#error !== undefined) {
        this.#queued -= n;
        this.#onChunksDone?.(chunks);
        return;
      }
      try {
        await fsops().sha256Update(this.#state, chunks, this.#fd);
        this.#onDone?.(n);
      } catch (err) {
        this.#error = err;
      } finally {
        this.#queued -= n;
        this.#onChunksDone?.(chunks);
      }
    });
  }

  /** Resolves when no update is in flight (nothing gathered is queued). Never rejects. */
  idle(): Promise<void> {
    return this.#tail;
  }

  /** `sha256:<hex>` of every byte handed over; fails if an update (its write) failed. */
  async digest(): Promise<string> {
    await this.flush();
    if (this.#error !== undefined) throw this.#error;
    this.#done = true;
    return `sha256:${fsops().sha256Final(this.#state)}`;
  }
}
