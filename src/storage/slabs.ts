// Reused 1 MiB buffers ("slabs") for the bytes of a download: network reads land in them, and
// they go back to a small free list once every holder of their bytes has let go, so a pull of a
// big layer does not make V8 collect a fresh Buffer per socket read (external memory drives its
// mark-compacts).
//
// Holders count bytes, not views, since consumers split views (a tar reader's first six bytes,
// a partly consumed inflater input): whoever is handed a view of a slab holds its bytes and
// releases exactly the bytes it was handed, in whatever pieces. `retain` adds a holder for a
// view (the spool's hash beside its reader). A holder that never releases (an error body read
// into one Buffer, an uncompressed layer's tar parser) just keeps the slab from coming back:
// the garbage collector frees it as any Buffer. Releasing a view that is not of a slab (a
// Buffer of node:http, a file read, a copy) does nothing, so consumers may release whatever
// they were given.

/** Bytes of each slab. */
export const SLAB_BYTES = 1 << 20;
/** Free slabs kept, at most. */
const MAX_FREE = 64;
/** A free list unused this long is dropped (its memory given back). */
const IDLE_MS = 5000;

class Slab {
  readonly buffer = Buffer.allocUnsafeSlow(SLAB_BYTES);
  /** Bytes handed to holders and not yet released. */
  held = 0;
  /** Still being written (the reader has not moved on). */
  writing = true;
}

const bySlab = new WeakMap<ArrayBufferLike, Slab>();
const free: Slab[] = [];
let lastTaken = 0;
let idleTimer: NodeJS.Timeout | undefined;

/** Slabs made and reused, for tests and measurements. */
export const slabStats = { made: 0, reused: 0, dropped: 0 };

/** A slab to write into: reused when one is free. Hand it back with `doneWriting`. */
export function takeSlab(): Buffer {
  lastTaken = Date.now();
  let s = free.pop();
  if (s) {
    slabStats.reused++;
    s.writing = true;
  } else {
    s = new Slab();
    slabStats.made++;
    bySlab.set(s.buffer.buffer, s);
  }
  return s.buffer;
}

const slabOf = (view: Uint8Array): Slab | undefined => bySlab.get(view.buffer);

/** `view` (of the slab being written) is handed to one holder. */
export function hold(view: Uint8Array): void {
  const s = slabOf(view);
  if (s) s.held += view.length;
}

/** One more holder of `view`'s bytes (it releases them separately). */
export const retain = hold;

/** The writer is done with the slab `buffer` (from `takeSlab`). */
export function doneWriting(buffer: Uint8Array): void {
  const s = slabOf(buffer);
  if (!s) return;
  s.writing = false;
  maybeFree(s);
}

/** A holder lets go of `view`'s bytes. No-op for a view that is not of a slab. */
export function release(view: Uint8Array): void {
  const s = slabOf(view);
  if (!s || view.length === 0) return;
  s.held -= view.length;
  if (s.held < 0) throw new Error('slabs: more bytes released than were held');
  maybeFree(s);
}

function maybeFree(s: Slab): void {
  if (s.held !== 0 || s.writing) return;
  if (free.length >= MAX_FREE) {
    slabStats.dropped++;
    return; // (left to the garbage collector)
  }
  free.push(s);
  if (idleTimer === undefined) idleTimer = setTimeout(dropIdle, IDLE_MS).unref();
}

function dropIdle(): void {
  idleTimer = undefined;
  if (free.length === 0) return;
  const idle = Date.now() - lastTaken;
  if (idle >= IDLE_MS) free.length = 0;
  else idleTimer = setTimeout(dropIdle, IDLE_MS - idle).unref();
}
