// One query to one upstream nameserver over UDP or TCP (RFC 1035 4.2), and the 2-byte length
// framing DNS uses on TCP. Each query gets its own socket, so an answer can only come from the
// server it was sent to, and closing the socket is all the cleanup a timeout or abort needs.

import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { parseAddress } from '../ipam.ts';

export interface Upstream {
  host: string;
  port: number;
}

/** `1.1.1.1`, `1.1.1.1:5353`, `::1`, `[::1]:5353`, `fe80::1%eth0` → host and port (default 53). */
export function parseUpstream(text: string): Upstream | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const hostPort = /^([^:]+):(\d+)$/.exec(text);
  const [host, port] = bracketed
    ? [bracketed[1], bracketed[2]]
    : hostPort
      ? [hostPort[1], hostPort[2]]
      : [text, undefined];
  const number = port === undefined ? 53 : Number(port);
  if (!parseAddress(host.replace(/%[^%]+$/, '')) || number < 1 || number > 65535) return undefined;
  return { host, port: number };
}

/** A DNS message framed for TCP. */
export function frame(packet: Buffer): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(packet.length);
  return Buffer.concat([prefix, packet]);
}

/** Splits a TCP byte stream into DNS messages; chunks may cut anywhere. Holds at most one message. */
export class MessageSplitter {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    let data = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    const messages: Buffer[] = [];
    while (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
      const end = 2 + data.readUInt16BE(0);
      messages.push(data.subarray(2, end));
      data = data.subarray(end);
    }
    this.#pending = data;
    return messages;
  }
}

export interface ExchangeOptions {
  timeoutMs: number;
  signal: AbortSignal;
  /** Whether a packet is the answer awaited (right id and question); others are ignored on UDP. */
  accept: (packet: Buffer) => boolean;
}

const familyOf = (host: string) => (parseAddress(host.replace(/%[^%]+$/, ''))?.family === 6 ? 6 : 4);

type Finish = (error: Error | undefined, answer?: Buffer) => void;

/** Runs one exchange under the timeout and the abort signal; `start` returns how to close its socket. */
function exchange(options: ExchangeOptions, start: (finish: Finish) => () => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish: Finish = (error, answer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      close();
      if (error) reject(error);
      else resolve(answer!);
    };
    const onAbort = () => finish(new Error('aborted'));
    const timer = setTimeout(
      () => finish(new Error(`no answer in ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    options.signal.addEventListener('abort', onAbort);
    const close = start(finish);
    if (options.signal.aborted) onAbort();
  });
}

/** Sends `packet` over UDP and resolves with the first accepted answer. */
export function exchangeUdp(upstream: Upstream, packet: Buffer, options: ExchangeOptions): Promise<Buffer> {
  return exchange(options, (finish) => {
    const socket = createSocket(familyOf(upstream.host) === 6 ? 'udp6' : 'udp4');
    socket.on('error', (err) => finish(err));
    socket.on('message', (answer) => {
      if (options.accept(answer)) finish(undefined, answer);
    });
    socket.connect(upstream.port, upstream.host, (err?: Error) => {
      if (err) finish(err);
      else socket.send(packet, (e) => e && finish(e));
    });
    return () => socket.close();
  });
}

/** Sends `packet` over TCP and resolves with the answer, which must be accepted. */
export function exchangeTcp(upstream: Upstream, packet: Buffer, options: ExchangeOptions): Promise<Buffer> {
  return exchange(options, (finish) => {
    const socket = connect({ host: upstream.host, port: upstream.port });
    const splitter = new MessageSplitter();
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error('connection closed before an answer')));
    socket.on('data', (chunk) => {
      const [answer] = splitter.push(chunk);
      if (answer)
        finish(options.accept(answer) ? undefined : new Error('answer does not match the query'), answer);
    });
    socket.write(frame(packet));
    return () => socket.destroy();
  });
}
