// The embedded DNS server of one user-defined network: bound to the network's gateway address in
// the host's network namespace (like podman's aardvark-dns), on UDP and TCP. It answers berth's
// own names (local.ts) and relays everything else to the host's nameservers, which is why a
// loopback upstream such as systemd-resolved's 127.0.0.53 works.

import { randomInt } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { unavailable } from '../../common/errors.ts';
import { parseAddress } from '../ipam.ts';
import { answerLocally, type DnsRecords } from './local.ts';
import {
  asciiLower,
  encodeMessage,
  encodeWithin,
  formatError,
  type Message,
  parseMessage,
  RCODE,
  reply,
  udpLimit,
} from './message.ts';
import {
  exchangeTcp,
  exchangeUdp,
  frame,
  MessageSplitter,
  parseUpstream,
  type Upstream,
} from './upstream.ts';

export type { DnsRecords } from './local.ts';

export interface DnsServerOptions {
  /** The address to listen on: the network's gateway. */
  address: string;
  /** 53 by default; 0 picks a free port (the same one for UDP and TCP), see `port`. */
  port?: number;
  records: DnsRecords;
  /** Nameservers for other names, tried in order: "ip" or "ip:port" ("[v6]:port"). */
  upstreams: string[];
  /**
   * Domains berth's names also answer under: `web.<domain>` is looked up as `web`. Docker
   * resolves `<container>.<network name>`, so pass the network's name.
   */
  domains?: string[];
  /**
   * The nameservers one asker wants instead of `upstreams` (a container's `--dns`, which Docker's
   * embedded server forwards to); undefined or empty for the network's.
   */
  upstreamsFor?: (from: string) => string[] | undefined;
  /** Per upstream and attempt; 3000 ms by default. */
  timeoutMs?: number;
  log?: (message: string) => void;
}

type Transport = 'udp' | 'tcp';

// Docker caps concurrent forwarded queries too (maxConcurrent): each holds a socket
const MAX_IN_FLIGHT = 1024;
const TCP_IDLE_MS = 10_000;
const TCP_LIMIT = 65535;

export class DnsServer {
  readonly #options: DnsServerOptions;
  readonly #upstreams: Upstream[];
  readonly #abort = new AbortController();
  readonly #connections = new Set<Socket>();
  #udp: UdpSocket | undefined;
  #tcp: Server | undefined;
  #port = 0;
  #inFlight = 0;

  constructor(options: DnsServerOptions) {
    this.#options = options;
    this.#upstreams = [];
    for (const text of options.upstreams) {
      const upstream = parseUpstream(text);
      if (upstream) this.#upstreams.push(upstream);
      else options.log?.(`dns: ignoring upstream nameserver ${JSON.stringify(text)}: not an address`);
    }
  }

  /** The port listened on, once started. */
  get port(): number {
    return this.#port;
  }

  /** Listens on UDP and TCP; rejects (Unavailable) when either cannot bind. */
  async start(): Promise<void> {
    const { address, port = 53 } = this.#options;
    // with port 0 the UDP socket picks; TCP may find that port taken, so try a few times
    for (let attempt = 1; ; attempt++) {
      let udp: UdpSocket | undefined;
      try {
        udp = await this.#bindUdp(address, port);
        this.#tcp = await this.#listenTcp(address, udp.address().port);
        this.#udp = udp;
        this.#port = udp.address().port;
        return;
      } catch (err) {
        udp?.close();
        if (port !== 0 || attempt === 5 || !udp) {
          throw unavailable(`dns server on ${address}:${port}: ${(err as Error).message}`, err);
        }
      }
    }
  }

  /** Stops listening, drops TCP connections and abandons queries being forwarded. */
  async close(): Promise<void> {
    this.#abort.abort();
    for (const socket of this.#connections) socket.destroy();
    const udp = this.#udp;
    const tcp = this.#tcp;
    this.#udp = undefined;
    this.#tcp = undefined;
    await Promise.all([
      udp && new Promise<void>((resolve) => udp.close(() => resolve())),
      tcp && new Promise<void>((resolve) => tcp.close(() => resolve())),
    ]);
  }

  #bindUdp(address: string, port: number): Promise<UdpSocket> {
    return new Promise((resolve, reject) => {
      const socket = createSocket(parseAddress(address)?.family === 6 ? 'udp6' : 'udp4');
      const failed = (err: Error) => {
        socket.close();
        reject(err);
      };
      socket.once('error', failed);
      socket.bind({ address, port, exclusive: true }, () => {
        socket.off('error', failed);
        socket.on('error', (err) => this.#options.log?.(`dns ${address}: udp: ${err.message}`));
        socket.on('message', (packet, peer) => {
          this.#answer(packet, peer.address, 'udp').then((answer) => {
            if (answer && this.#udp === socket) socket.send(answer, peer.port, peer.address);
          }, this.#unexpected);
        });
        resolve(socket);
      });
    });
  }

  #listenTcp(address: string, port: number): Promise<Server> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => this.#serveConnection(socket));
      server.once('error', reject);
      server.listen({ host: address, port, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.#options.log?.(`dns ${address}: tcp: ${err.message}`));
        resolve(server);
      });
    });
  }

  #serveConnection(socket: Socket): void {
    // RFC 7766: several queries may come on one connection, and answers may go out of order
    this.#connections.add(socket);
    socket.on('close', () => this.#connections.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    const splitter = new MessageSplitter();
    const from = socket.remoteAddress ?? '';
    socket.on('data', (chunk) => {
      for (const packet of splitter.push(chunk)) {
        this.#answer(packet, from, 'tcp').then((answer) => {
          if (answer && !socket.destroyed) socket.write(frame(answer));
        }, this.#unexpected);
      }
    });
  }

  // #answer catches what it expects; a bug must still not become an unhandled rejection in berthd
  readonly #unexpected = (err: unknown) => this.#options.log?.(`dns: ${(err as Error).stack ?? err}`);

  /** The answer to one packet, or undefined to stay silent. */
  async #answer(packet: Buffer, from: string, transport: Transport): Promise<Buffer | undefined> {
    // a response (QR set) is never answered: that is how two resolvers would loop
    if (packet.length >= 3 && packet[2] & 0x80) return undefined;
    const parsed = parseMessage(packet);
    if (!parsed.ok) return parsed.id === undefined ? undefined : formatError(parsed.id);
    const query = parsed.message;
    const limit = transport === 'udp' ? udpLimit(query) : TCP_LIMIT;
    try {
      if (query.opcode !== 0) return encodeMessage(reply(query, RCODE.NOTIMP));
      if (query.questions.length !== 1)
        return encodeMessage({ ...reply(query, RCODE.FORMERR), questions: [] });
      const local = answerLocally(query, this.#options.records, this.#options.domains ?? [], from);
      if (local) return encodeWithin(local, limit, transport === 'udp');
      return await this.#forward(packet, query, transport, limit, this.#upstreamsOf(from));
    } catch (err) {
      this.#options.log?.(`dns: ${query.questions[0]?.name}: ${err}`);
      return encodeMessage(reply(query, RCODE.SERVFAIL));
    }
  }

  /**
   * Relays the query to the upstreams in turn, as Docker does: a server failure, a refusal or a
   * non-authoritative NXDOMAIN moves on to the next one; if none does better, the last answer
   * received is relayed, and SERVFAIL when there was none.
   */
  #upstreamsOf(from: string): Upstream[] {
    const own = this.#options.upstreamsFor?.(from);
    if (!own?.length) return this.#upstreams;
    return own.map((text) => parseUpstream(text)).filter((u): u is Upstream => u !== undefined);
  }

  async #forward(
    packet: Buffer,
    query: Message,
    transport: Transport,
    limit: number,
    upstreams: Upstream[],
  ): Promise<Buffer> {
    if (upstreams.length === 0 || this.#inFlight >= MAX_IN_FLIGHT) {
      return encodeMessage(reply(query, RCODE.SERVFAIL));
    }
    this.#inFlight++;
    try {
      let last: Buffer | undefined;
      for (const upstream of upstreams) {
        if (this.#abort.signal.aborted) break;
        const answer = await this.#ask(upstream, packet, query, transport, limit);
        if (!answer) continue;
        last = answer.packet;
        const { rcode, aa } = answer.message;
        if (rcode === RCODE.NOERROR || (rcode === RCODE.NXDOMAIN && aa)) break;
      }
      if (!last) return encodeMessage(reply(query, RCODE.SERVFAIL));
      // the client's id goes back; the upstream saw a random one
      last.writeUInt16BE(query.id, 0);
      return last.length <= limit ? last : encodeMessage({ ...reply(query, RCODE.NOERROR), tc: true });
    } finally {
      this.#inFlight--;
    }
  }

  /** One upstream's answer, or undefined (logged) when it gave none. */
  async #ask(
    upstream: Upstream,
    packet: Buffer,
    query: Message,
    transport: Transport,
    limit: number,
  ): Promise<{ packet: Buffer; message: Message } | undefined> {
    const id = randomInt(0x10000);
    const outgoing = Buffer.from(packet);
    outgoing.writeUInt16BE(id, 0);
    const options = {
      timeoutMs: this.#options.timeoutMs ?? 3000,
      signal: this.#abort.signal,
      accept: (answer: Buffer) => answers(answer, id, query),
    };
    const where = `${upstream.host}:${upstream.port}`;
    try {
      let answer = await (transport === 'tcp' ? exchangeTcp : exchangeUdp)(upstream, outgoing, options);
      if (transport === 'udp' && answer[2] & 0x02) {
        // truncated: the whole answer over TCP is worth relaying if it fits what the client takes
        const whole = await exchangeTcp(upstream, outgoing, options).catch(() => undefined);
        if (whole && whole.length <= limit) answer = whole;
      }
      const parsed = parseMessage(answer);
      if (parsed.ok) return { packet: Buffer.from(answer), message: parsed.message };
      this.#options.log?.(`dns: upstream ${where}: ${parsed.error}`);
    } catch (err) {
      if (!this.#abort.signal.aborted)
        this.#options.log?.(`dns: upstream ${where}: ${(err as Error).message}`);
    }
    return undefined;
  }
}

/** Whether `packet` is the answer to `query` sent with `id`: a response, same question. */
function answers(packet: Buffer, id: number, query: Message): boolean {
  if (packet.length < 12 || packet.readUInt16BE(0) !== id || !(packet[2] & 0x80)) return false;
  const parsed = parseMessage(packet);
  if (!parsed.ok) return true; // stop waiting: #ask reports it
  const [a, b] = [parsed.message.questions[0], query.questions[0]];
  // names compared without case: resolvers may randomise it (DNS 0x20)
  return (
    a !== undefined && a.type === b.type && a.class === b.class && asciiLower(a.name) === asciiLower(b.name)
  );
}
