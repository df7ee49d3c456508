// gunzip of a layer on the threadpool into a few reused buffers, hashing the output on the way
// (native/fsops/inflate.c): the bytes of a layer's tar never become fresh JS Buffers, so a pull
// of a big layer makes V8 collect far less garbage, and the DiffID costs no second pass.
//
// The price is a lifetime rule: each chunk `inflate` yields is a view of one of RING buffers,
// valid until RING - 1 more chunks have been taken from the generator (its buffer is then filled
// again). Consumers that keep bytes longer copy them (apply.ts's batches of small files do).
// One run ahead of the consumer is kept in flight, so inflating overlaps with tar parsing.
//
// The compressed bytes taken from the source are released (slabs.ts) once inflated: a pull's
// download reuses its slabs. Sources of ordinary Buffers are not affected.

import { internal, invalidArgument } from '../common/errors.ts';
import { fsops } from './native.ts';
import { release } from './slabs.ts';

/** Buffers a Gunzip reuses, and the size of each. */
export const RING = 4;
const OUT_BYTES = 1 << 20;
/** Compressed bytes gathered (when the source has them) for one run. */
const IN_BYTES = 1 << 20;

const asBuffer = (c: Uint8Array): Buffer =>
  Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);

export class Gunzip {
  readonly #ops = fsops();
  readonly #state = this.#ops.gunzipInit();
  /** Compressed bytes taken so far. */
  #in = 0;
  #out = 0;
  #digest: string | undefined;

  /** Uncompressed bytes so far. */
  get size(): number {
    return this.#out;
  }

  /** `sha256:<hex>` of the uncompressed bytes, once `inflate` has reached the end. */
  get digest(): string | undefined {
    return this.#digest;
  }

  /**
   * The uncompressed bytes of the gzip stream `source` (one or more members; see inflate.c),
   * as views of reused buffers (see the top of this file). Fails with an invalidArgument on
   * corrupt or truncated input.
   */
  async *inflate(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Buffer> {
    const it =
      Symbol.asyncIterator in source
        ? source[Symbol.asyncIterator]()
        : (source as Iterable<Uint8Array>)[Symbol.iterator]();
    const ring = Array.from({ length: RING }, () => Buffer.allocUnsafeSlow(OUT_BYTES));
    const input = { chunks: [] as Buffer[], bytes: 0, done: false, mayEnd: false };
    let next: Promise<number> | undefined;
    try {
      for (let k = 0; ; k++) {
        const buf = ring[k % RING];
        const n = await (next ?? this.#fill(it, input, buf));
        next = undefined;
        if (n === 0) break;
        // the next buffer is filled while the consumer works on this one
        if (n === buf.length) {
          next = this.#fill(it, input, ring[(k + 1) % RING]);
          next.catch(() => {}); // (seen when awaited)
        }
        yield buf.subarray(0, n);
        if (n < buf.length) break;
      }
      this.#digest = `sha256:${this.#ops.gunzipDigest(this.#state)}`;
    } finally {
      await next?.catch(() => {}); // never end the state while a run uses it
      if (this.#digest === undefined) this.#ops.gunzipEnd(this.#state);
      if (!input.done) await it.return?.();
    }
  }

  /** Fills `buf` as far as the stream goes: its length, or less only at the end (0: nothing left). */
  async #fill(
    it: AsyncIterator<Uint8Array> | Iterator<Uint8Array>,
    input: { chunks: Buffer[]; bytes: number; done: boolean; mayEnd: boolean },
    buf: Buffer,
  ): Promise<number> {
    let filled = 0;
    for (;;) {
      while (!input.done && input.bytes < IN_BYTES) {
        const r = await it.next();
        if (r.done) input.done = true;
        else if (r.value.length) {
          input.chunks.push(asBuffer(r.value));
          input.bytes += r.value.length;
        }
      }
      if (input.chunks.length === 0) {
        if (!input.mayEnd)
          throw invalidArgument(`gzip: unexpected EOF: the layer ends after ${this.#in} compressed bytes`);
        return filled;
      }
      let consumed: number;
      let produced: number;
      try {
        [consumed, produced, input.mayEnd] = await this.#ops.gunzipRun(
          this.#state,
          input.chunks.length > 1024 ? input.chunks.slice(0, 1024) : input.chunks,
          filled ? buf.subarray(filled) : buf,
        );
      } catch (err) {
        const e = err as Error & { code?: string; consumed?: number };
        if (e.code === 'Z_DATA_ERROR')
          throw invalidArgument(
            `gzip: invalid data after ${this.#in + (e.consumed ?? 0)} compressed bytes: ${e.message}`,
            err,
          );
        throw internal(`gzip: ${e.message}`, err);
      }
      if (consumed === 0 && produced === 0) throw internal('gzip: the inflater made no progress');
      this.#in += consumed;
      this.#out += produced;
      filled += produced;
      input.bytes -= consumed;
      while (consumed > 0) {
        const first = input.chunks[0];
        if (first.length <= consumed) {
          consumed -= first.length;
          input.chunks.shift();
          release(first);
        } else {
          input.chunks[0] = first.subarray(consumed);
          release(first.subarray(0, consumed));
          consumed = 0;
        }
      }
      if (filled === buf.length) return filled;
    }
  }
}
