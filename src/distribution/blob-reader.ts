// A plain-HTTP/1.1 GET whose response body is read straight into reused slabs
// (src/storage/slabs.ts) instead of through node:http, which allocates a Buffer for every socket
// read and copies every body chunk out of it: for a blob download that is twice the blob in
// short-lived Buffers, and V8 runs a mark-compact for about every 64 MB of them. The socket reads
// into the free end of the current slab (net.Socket's `onread`); the body is passed on as views
// of it, each held by its consumer (see slabs.ts), with Content-Length, chunked transfer coding
// or (neither) the end of the connection framing it. One connection per request
// (`Connection: close`); no TLS, no request body: everything else goes through node:http.

import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { doneWriting, hold, SLAB_BYTES, takeSlab } from '../storage/slabs.ts';

/** A read is given at least this much room; a slab with less left is replaced. */
const MIN_READ = 64 << 10;
const MAX_HEAD = 64 << 10;
const TIMEOUT_MS = 30_000;

export interface SlabResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Object mode: Buffers that are views of slabs. */
  body: Readable;
}

/** Headers of which a response may carry one only (duplicates after the first are ignored). */
const SINGLE = new Set(['content-length', 'content-type', 'location', 'host', 'etag', 'last-modified']);

class ResponseError extends Error {
  readonly code = 'ECONNRESET';
}

type Framing =
  | { kind: 'length'; left: number }
  | { kind: 'chunked'; state: 'size' | 'data' | 'crlf' | 'trailer'; line: string; left: number }
  | { kind: 'close' }
  | { kind: 'none' };

/**
 * GET `url` (http:) with `headers`; resolves once the response head is in. Rejects on
 * connection errors (the caller words them), a malformed head or `signal`.
 */
export function slabGet(
  url: URL,
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<SlabResponse> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    let slab = takeSlab();
    let off = 0;
    let head = '';
    let framing: Framing | undefined;
    let body: Readable | undefined;
    let paused = false;
    let finished = false;
    let received = 0;

    // (net.Socket asks for the next buffer after every read, even one that finished the
    // response: a finished reader has handed its slab back and takes no other)
    const nextBuffer = () => {
      if (!finished && SLAB_BYTES - off < MIN_READ) {
        doneWriting(slab);
        slab = takeSlab();
        off = 0;
      }
      return slab.subarray(off);
    };

    const sock = net.connect({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 80),
      onread: { buffer: nextBuffer, callback: (n: number) => onRead(n) },
    });
    sock.setNoDelay(true);
    sock.setTimeout(TIMEOUT_MS, () =>
      sock.destroy(
        new ResponseError(body ? 'timeout reading the response body' : 'timeout awaiting response headers'),
      ),
    );
    const onAbort = () => sock.destroy(signal?.reason as Error);
    signal?.addEventListener('abort', onAbort, { once: true });

    /** Nothing more is read: the slab goes back, the socket is closed. */
    const stop = () => {
      finished = true;
      signal?.removeEventListener('abort', onAbort);
      doneWriting(slab);
      if (!sock.destroyed) sock.destroy();
    };

    const finish = (err?: Error) => {
      if (finished) return;
      stop();
      if (err) {
        if (body) body.destroy(err);
        else reject(err);
      } else body?.push(null);
    };

    sock.on('connect', () => {
      const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`];
      for (const [k, v] of Object.entries(headers)) {
        if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) {
          finish(new TypeError(`invalid character in header ${JSON.stringify(k)}`));
          return;
        }
        lines.push(`${k}: ${v}`);
      }
      lines.push('Connection: close', '', '');
      sock.write(lines.join('\r\n'));
    });
    sock.on('error', (err) => finish(err));
    sock.on('end', () => {
      if (framing?.kind === 'close') finish();
      else if (!framing)
        finish(new ResponseError(head ? 'the connection closed in the response head' : 'socket hang up'));
      else
        finish(
          new ResponseError(
            `unexpected EOF: the connection closed after ${received} bytes of the response body`,
          ),
        );
    });
    sock.on('close', () => finish(new ResponseError('socket hang up')));

    /** Bytes `data` (a view of the slab) arrived; returns false to stop reading for now. */
    function onRead(n: number): boolean {
      const data = slab.subarray(off, off + n);
      off += n;
      if (finished) return false;
      try {
        let rest = data;
        while (!framing && rest.length) rest = onHead(rest);
        if (framing && rest.length) onBody(rest);
      } catch (err) {
        finish(err as Error);
        return false;
      }
      return !paused;
    }

    /** Takes head bytes from `data`; returns what follows the head. */
    function onHead(data: Buffer): Buffer {
      const before = head.length;
      head += data.toString('latin1', 0, Math.min(data.length, MAX_HEAD + 4));
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_HEAD) throw new ResponseError('the response head is too large');
        return data.subarray(data.length);
      }
      const used = end + 4 - before;
      const text = head.slice(0, end);
      head = '';
      const [statusLine, ...fields] = text.split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(statusLine);
      if (!m)
        throw new ResponseError(`malformed response status line ${JSON.stringify(statusLine.slice(0, 80))}`);
      const status = Number(m[1]);
      if (status >= 100 && status < 200) return data.subarray(used); // (an interim response)
      const h: IncomingHttpHeaders = {};
      for (const f of fields) {
        const i = f.indexOf(':');
        if (i <= 0) throw new ResponseError(`malformed response header ${JSON.stringify(f.slice(0, 80))}`);
        const k = f.slice(0, i).trim().toLowerCase();
        const v = f.slice(i + 1).trim();
        const old = h[k];
        if (k === 'set-cookie') h[k] = [...((old as string[] | undefined) ?? []), v];
        else if (old === undefined) h[k] = v;
        else if (!SINGLE.has(k)) h[k] = `${old}, ${v}`;
      }
      framing = framingOf(status, h);
      body = new Readable({
        objectMode: true,
        highWaterMark: 8,
        read() {
          if (paused) {
            paused = false;
            sock.resume();
          }
        },
        destroy(err, cb) {
          // (the consumer stopped: nothing more is pushed)
          if (!finished) stop();
          cb(err);
        },
      });
      // (an error before the consumer listens is kept for it: iteration rethrows it)
      body.on('error', () => {});
      resolve({ status, headers: h, body });
      if (framing.kind === 'none' || (framing.kind === 'length' && framing.left === 0)) finish();
      return data.subarray(used);
    }

    function emit(view: Buffer): void {
      if (view.length === 0) return;
      received += view.length;
      hold(view);
      if (!body!.push(view)) paused = true;
    }

    function onBody(data: Buffer): void {
      const f = framing!;
      if (f.kind === 'close') emit(data);
      else if (f.kind === 'length') {
        const n = Math.min(f.left, data.length);
        f.left -= n;
        emit(data.subarray(0, n));
        if (f.left === 0) finish();
      } else if (f.kind === 'chunked') chunked(f, data);
    }

    function chunked(f: Extract<Framing, { kind: 'chunked' }>, data: Buffer): void {
      let i = 0;
      while (i < data.length && !finished) {
        if (f.state === 'data') {
          const n = Math.min(f.left, data.length - i);
          emit(data.subarray(i, i + n));
          i += n;
          f.left -= n;
          if (f.left === 0) f.state = 'crlf';
          continue;
        }
        // a line: a chunk's size, the CRLF after its data, or a trailer
        const nl = data.indexOf(10, i);
        const upto = nl < 0 ? data.length : nl + 1;
        f.line += data.toString('latin1', i, upto);
        i = upto;
        if (f.line.length > 4096) throw new ResponseError('malformed chunked body: a line too long');
        if (nl < 0) continue;
        const line = f.line.replace(/\r?\n$/, '');
        f.line = '';
        if (f.state === 'crlf') {
          if (line !== '') throw new ResponseError('malformed chunked body: no CRLF after a chunk');
          f.state = 'size';
        } else if (f.state === 'size') {
          const size = /^([0-9a-fA-F]{1,15})(?:[ \t]*;.*)?[ \t]*$/.exec(line);
          if (!size)
            throw new ResponseError(
              `malformed chunked body: chunk size ${JSON.stringify(line.slice(0, 40))}`,
            );
          f.left = Number.parseInt(size[1], 16);
          f.state = f.left === 0 ? 'trailer' : 'data';
        } else if (line === '') finish(); // the end of the trailers
      }
    }
  });
}

function framingOf(status: number, h: IncomingHttpHeaders): Framing {
  if (status === 204 || status === 304) return { kind: 'none' };
  const te = h['transfer-encoding'];
  if (te !== undefined) {
    const codings = String(te)
      .toLowerCase()
      .split(',')
      .map((s) => s.trim());
    return codings.at(-1) === 'chunked'
      ? { kind: 'chunked', state: 'size', line: '', left: 0 }
      : { kind: 'close' };
  }
  const cl = h['content-length'];
  if (cl !== undefined) {
    if (!/^\d{1,15}$/.test(String(cl)))
      throw new ResponseError(`invalid Content-Length ${JSON.stringify(cl)}`);
    return { kind: 'length', left: Number(cl) };
  }
  return { kind: 'close' };
}
