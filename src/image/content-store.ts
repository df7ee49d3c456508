// Content-addressed blob store (DESIGN.md "Images and storage").
//
// Layout under the root:
//   blobs/sha256/<hex>   complete, verified blobs (read-only, 0444)
//   ingest/<random>      blobs being written; whatever is here on open is from an interrupted
//                        ingest and is discarded.
// An ingest streams into ingest/, hashing as it goes, checks the expected digest and size,
// fsyncs, and renames into blobs/. A blob is therefore either absent or complete.

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BerthError, invalidArgument, notFound } from '../common/errors.ts';
import { type Digest, digestHex, isDigest, validateDigest } from './digest.ts';

export interface BlobInfo {
  digest: Digest;
  size: number;
}

export interface IngestExpect {
  /** Refuse the blob unless its sha256 is this. */
  digest?: Digest;
  /** Refuse the blob unless it has exactly this many bytes. */
  size?: number;
  signal?: AbortSignal;
}

export type BlobSource = Readable | AsyncIterable<Uint8Array> | Uint8Array | string;

export class ContentStore {
  readonly root: string;
  readonly #blobs: string;
  readonly #ingest: string;

  private constructor(root: string) {
    this.root = root;
    this.#blobs = join(root, 'blobs', 'sha256');
    this.#ingest = join(root, 'ingest');
  }

  /** Opens (creating) the store and discards interrupted ingests. */
  static async open(root: string): Promise<ContentStore> {
    const store = new ContentStore(root);
    await mkdir(store.#blobs, { recursive: true });
    await rm(store.#ingest, { recursive: true, force: true });
    await mkdir(store.#ingest, { recursive: true });
    return store;
  }

  /** The file of a blob (which may not exist). */
  path(digest: Digest): string {
    validateDigest(digest);
    return join(this.#blobs, digestHex(digest));
  }

  /**
   * Writes a blob. With `expect.digest`/`expect.size`, a blob that does not match is refused
   * (InvalidArgument) and nothing is stored. Concurrent ingests of the same blob are safe: each
   * writes its own temp file and the renames are atomic. A blob already present is not rewritten,
   * but the source is still read and verified.
   */
  async ingest(source: BlobSource, expect: IngestExpect = {}): Promise<BlobInfo> {
    if (expect.digest !== undefined) validateDigest(expect.digest);
    const input =
      typeof source === 'string' || source instanceof Uint8Array ? Readable.from([source]) : source;
    const hash = createHash('sha256');
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        if (expect.size !== undefined && size > expect.size) cb(sizeError(expect, size));
        else cb(null, chunk);
      },
    });
    const known = expect.digest !== undefined && (await this.exists(expect.digest));
    const tmp = join(this.#ingest, randomBytes(12).toString('hex'));
    try {
      if (known) {
        await pipeline(input, counter, new Writable({ write: (_c, _e, cb) => cb() }), {
          signal: expect.signal,
        });
      } else {
        await pipeline(input, counter, createWriteStream(tmp, { mode: 0o444 }), { signal: expect.signal });
      }
      const digest = `sha256:${hash.digest('hex')}`;
      if (expect.size !== undefined && size !== expect.size) throw sizeError(expect, size);
      if (expect.digest !== undefined && digest !== expect.digest)
        throw invalidArgument(`digest mismatch: expected ${expect.digest}, got ${digest}`);
      if (!known) {
        const fh = await open(tmp, 'r');
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, join(this.#blobs, digestHex(digest)));
      }
      return { digest, size };
    } finally {
      if (!known) await rm(tmp, { force: true });
    }
  }

  /**
   * A new temp file in ingest/ for a writer that hashes as it writes (a pull that unpacks a layer
   * while it downloads): pass it to `commit` once verified, or remove it. Discarded on open.
   */
  tempPath(): string {
    return join(this.#ingest, randomBytes(12).toString('hex'));
  }

  /**
   * Makes a temp file from `tempPath` the blob `digest`: the caller hashed every byte it wrote
   * and checked it against the digest. fsync, then an atomic rename; the temp file is gone after.
   */
  async commit(tmp: string, digest: Digest): Promise<void> {
    validateDigest(digest);
    try {
      const fh = await open(tmp, 'r');
      try {
        await fh.chmod(0o444);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(this.#blobs, digestHex(digest)));
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async exists(digest: Digest): Promise<boolean> {
    try {
      await stat(this.path(digest));
      return true;
    } catch (err) {
      if (isNoEnt(err)) return false;
      throw err;
    }
  }

  async info(digest: Digest): Promise<BlobInfo> {
    try {
      const st = await stat(this.path(digest));
      return { digest, size: st.size };
    } catch (err) {
      throw missing(digest, err);
    }
  }

  /** The whole blob in memory (configs, manifests). */
  async read(digest: Digest): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch (err) {
      throw missing(digest, err);
    }
  }

  /** A stream of the blob; throws NotFound at once when it is missing. */
  async open(digest: Digest): Promise<Readable> {
    const path = this.path(digest);
    const fh = await open(path, 'r').catch((err) => {
      throw missing(digest, err);
    });
    return createReadStream(path, { fd: fh, autoClose: true });
  }

  /** Removes a blob; a missing blob is not an error. */
  async delete(digest: Digest): Promise<void> {
    try {
      await unlink(this.path(digest));
    } catch (err) {
      if (!isNoEnt(err)) throw err;
    }
  }

  /** Every blob with its size, for garbage collection. */
  async *walk(): AsyncGenerator<BlobInfo> {
    for (const name of await readdir(this.#blobs)) {
      const digest = `sha256:${name}`;
      if (!isDigest(digest)) continue;
      try {
        const st = await stat(join(this.#blobs, name));
        yield { digest, size: st.size };
      } catch (err) {
        if (!isNoEnt(err)) throw err;
      }
    }
  }

  async list(): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    for await (const b of this.walk()) out.push(b);
    return out;
  }
}

const isNoEnt = (err: unknown) => (err as NodeJS.ErrnoException)?.code === 'ENOENT';

function missing(digest: Digest, err: unknown): Error {
  if (err instanceof BerthError) return err;
  return isNoEnt(err) ? notFound(`blob ${digest}: not found`, err) : (err as Error);
}

function sizeError(expect: IngestExpect, size: number): Error {
  return invalidArgument(
    `size mismatch${expect.digest ? ` for ${expect.digest}` : ''}: expected ${expect.size} bytes, got ${size}`,
  );
}
