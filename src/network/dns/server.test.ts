// The server on 127.0.0.1 with a random port, against node:dns as a real client and raw packets,
// forwarding to fake upstreams on other 127.0.0.1 ports. Nothing else is contacted.

import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { connect, createServer } from 'node:net';
import { after, test } from 'node:test';
import type { DnsRecords } from './local.ts';
import {
  addressRecord,
  encodeMessage,
  type Message,
  query as newQuery,
  parseMessage,
  RCODE,
  reply,
  TYPE,
} from './message.ts';
import { DnsServer, type DnsServerOptions } from './server.ts';
import { frame, MessageSplitter } from './upstream.ts';

const MANY = Array.from({ length: 100 }, (_, i) => `10.1.0.${i + 1}`);

const records: DnsRecords = {
  lookup(name) {
    if (name === 'web') return { v4: ['172.20.0.2'], v6: [] };
    if (name === 'db') return { v4: ['172.20.0.3'], v6: ['fd00::3'] };
    if (name === 'cache') return { v4: ['172.20.0.4', '172.20.0.5'], v6: [] };
    if (name === 'many') return { v4: MANY, v6: [] };
    return undefined;
  },
  reverse: (ip) => (ip === '172.20.0.2' ? 'web.mynet' : undefined),
};

type Transport = 'udp' | 'tcp';
type Behaviour = (query: Message, transport: Transport) => Message | 'silent';

interface Fake {
  address: string;
  seen: { id: number; name: string; transport: Transport }[];
  close(): void;
}

/** A nameserver on 127.0.0.1 (UDP and TCP on one port) that answers as `behaviour` says. */
async function fakeUpstream(behaviour: Behaviour): Promise<Fake> {
  const seen: Fake['seen'] = [];
  const answer = (packet: Buffer, transport: Transport): Buffer | undefined => {
    const parsed = parseMessage(packet);
    assert.ok(parsed.ok);
    seen.push({ id: parsed.message.id, name: parsed.message.questions[0].name, transport });
    const out = behaviour(parsed.message, transport);
    return out === 'silent' ? undefined : encodeMessage(out);
  };
  for (;;) {
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    udp.on('message', (packet, peer) => {
      const out = answer(packet, 'udp');
      if (out) udp.send(out, peer.port, peer.address);
    });
    const port = udp.address().port;
    const tcp = createServer((socket) => {
      const splitter = new MessageSplitter();
      socket.on('data', (chunk) => {
        for (const packet of splitter.push(chunk)) {
          const out = answer(packet, 'tcp');
          if (out) socket.write(frame(out));
        }
      });
    });
    const listening = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!listening) {
      udp.close();
      continue;
    }
    const close = () => {
      udp.close();
      tcp.close();
    };
    return { address: `127.0.0.1:${port}`, seen, close };
  }
}

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function startServer(options: Partial<DnsServerOptions> = {}): Promise<DnsServer> {
  const server = new DnsServer({
    address: '127.0.0.1',
    port: 0,
    records,
    upstreams: [],
    domains: ['mynet'],
    timeoutMs: 300,
    ...options,
  });
  await server.start();
  cleanups.push(() => server.close());
  return server;
}

function resolverFor(server: DnsServer): Resolver {
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${server.port}`]);
  return resolver;
}

const query = (name: string, type: number, id = 0x4242, edns?: number) =>
  encodeMessage(newQuery(name, type, id, edns));

/** One UDP exchange; undefined when no answer comes within `timeoutMs`. */
function overUdp(port: number, packet: Buffer, timeoutMs = 2000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(undefined);
    }, timeoutMs);
    socket.on('message', (answer) => {
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    });
    socket.send(packet, port, '127.0.0.1');
  });
}

function overTcp(port: number, packet: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const splitter = new MessageSplitter();
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      const [answer] = splitter.push(chunk);
      if (answer) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.write(frame(packet));
  });
}

function parsed(packet: Buffer | undefined): Message {
  assert.ok(packet, 'no answer');
  const result = parseMessage(packet);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.message;
}

const aRecords = (name: string, ips: string[]) => ips.map((ip) => addressRecord(name, ip, 30));

test('node:dns resolves container names, the network suffix, aliases and PTR', async () => {
  const resolver = resolverFor(await startServer());
  assert.deepEqual(await resolver.resolve4('web'), ['172.20.0.2']);
  assert.deepEqual(await resolver.resolve4('WEB.mynet.'), ['172.20.0.2']);
  assert.deepEqual(await resolver.resolve6('db'), ['fd00::3']);
  assert.deepEqual((await resolver.resolve4('cache')).sort(), ['172.20.0.4', '172.20.0.5']);
  assert.deepEqual(await resolver.reverse('172.20.0.2'), ['web.mynet']);
  assert.deepEqual(await resolver.resolve4('web', { ttl: true }), [{ address: '172.20.0.2', ttl: 600 }]);
  // an IPv4-only name has no AAAA: an empty NOERROR answer, which c-ares calls ENODATA
  await assert.rejects(resolver.resolve6('web'), { code: 'ENODATA' });
});

test('other names go to the upstream with a fresh id; the answer comes back with the client id', async () => {
  const upstream = await fakeUpstream((q) =>
    reply(q, RCODE.NOERROR, aRecords(q.questions[0].name, ['192.0.2.10'])),
  );
  cleanups.push(upstream.close);
  const server = await startServer({ upstreams: [upstream.address] });
  assert.deepEqual(await resolverFor(server).resolve4('example.test'), ['192.0.2.10']);
  const answer = parsed(await overUdp(server.port, query('Example.Test', TYPE.A, 0x4242)));
  assert.equal(answer.id, 0x4242);
  assert.ok(!answer.aa);
  assert.deepEqual(
    answer.answers.map((a) => a.data),
    ['192.0.2.10'],
  );
  const last = upstream.seen.at(-1)!;
  assert.deepEqual(
    { name: last.name, transport: last.transport },
    { name: 'Example.Test', transport: 'udp' },
  );
});

test('a dead or silent upstream is skipped; none answering gives SERVFAIL', async () => {
  const silent = await fakeUpstream(() => 'silent');
  const failing = await fakeUpstream((q) => reply(q, RCODE.SERVFAIL));
  const good = await fakeUpstream((q) =>
    reply(q, RCODE.NOERROR, aRecords(q.questions[0].name, ['192.0.2.20'])),
  );
  cleanups.push(silent.close, failing.close, good.close);
  const both = await startServer({ upstreams: [silent.address, failing.address, good.address] });
  assert.deepEqual(await resolverFor(both).resolve4('example.test'), ['192.0.2.20']);
  assert.equal(failing.seen.length, 1);

  const dead = await startServer({ upstreams: [silent.address] });
  const answer = parsed(await overUdp(dead.port, query('example.test', TYPE.A, 9)));
  assert.deepEqual([answer.id, answer.rcode], [9, RCODE.SERVFAIL]);
  const none = await startServer({ upstreams: [] });
  assert.equal(parsed(await overUdp(none.port, query('example.test', TYPE.A))).rcode, RCODE.SERVFAIL);
  // the one answer there was, a SERVFAIL, is relayed
  const onlyFailing = await startServer({ upstreams: [failing.address, silent.address] });
  assert.equal(parsed(await overUdp(onlyFailing.port, query('x.test', TYPE.A))).rcode, RCODE.SERVFAIL);
});

test('a non-authoritative NXDOMAIN tries the next upstream, an authoritative one is final', async () => {
  const nx = await fakeUpstream((q) => reply(q, RCODE.NXDOMAIN));
  const nxAuthoritative = await fakeUpstream((q) => reply(q, RCODE.NXDOMAIN, [], true));
  const good = await fakeUpstream((q) =>
    reply(q, RCODE.NOERROR, aRecords(q.questions[0].name, ['192.0.2.30'])),
  );
  cleanups.push(nx.close, nxAuthoritative.close, good.close);
  const server = await startServer({ upstreams: [nx.address, good.address] });
  assert.deepEqual(await resolverFor(server).resolve4('x.test'), ['192.0.2.30']);
  const final = await startServer({ upstreams: [nxAuthoritative.address, good.address] });
  await assert.rejects(resolverFor(final).resolve4('y.test'), { code: 'ENOTFOUND' });
  assert.equal(good.seen.filter((s) => s.name === 'y.test').length, 0);
});

test('TCP: local answers and forwarding over TCP', async () => {
  const upstream = await fakeUpstream((q) =>
    reply(q, RCODE.NOERROR, aRecords(q.questions[0].name, ['192.0.2.40'])),
  );
  cleanups.push(upstream.close);
  const server = await startServer({ upstreams: [upstream.address] });
  const local = parsed(await overTcp(server.port, query('many', TYPE.A, 1)));
  assert.equal(local.answers.length, 100);
  assert.ok(!local.tc);
  const forwarded = parsed(await overTcp(server.port, query('tcp.test', TYPE.A, 2)));
  assert.deepEqual([forwarded.id, forwarded.answers[0]?.data], [2, '192.0.2.40']);
  assert.equal(upstream.seen.at(-1)?.transport, 'tcp');
});

test('UDP answers over 512 bytes without EDNS are truncated with TC; EDNS clients get more', async () => {
  const server = await startServer();
  const plain = parsed(await overUdp(server.port, query('many', TYPE.A)));
  assert.ok(plain.tc);
  assert.equal(plain.answers.length, 30);
  const edns = parsed(await overUdp(server.port, query('many', TYPE.A, 1, 4096)));
  assert.ok(!edns.tc);
  assert.equal(edns.answers.length, 100);
  assert.equal(edns.additionals[0]?.type, TYPE.OPT);
});

test('a truncated upstream answer is fetched again over TCP when the client can take it', async () => {
  const upstream = await fakeUpstream((q, transport) =>
    transport === 'udp'
      ? { ...reply(q, RCODE.NOERROR), tc: true }
      : reply(q, RCODE.NOERROR, aRecords(q.questions[0].name, MANY.slice(0, 50))),
  );
  cleanups.push(upstream.close);
  const server = await startServer({ upstreams: [upstream.address] });
  const big = parsed(await overUdp(server.port, query('big.test', TYPE.A, 1, 4096)));
  assert.ok(!big.tc);
  assert.equal(big.answers.length, 50);
  const small = parsed(await overUdp(server.port, query('big.test', TYPE.A, 2)));
  assert.ok(small.tc);
  assert.deepEqual(
    upstream.seen.map((s) => s.transport),
    ['udp', 'tcp', 'udp', 'tcp'],
  );
});

test('malformed packets: FORMERR when the id is readable, silence otherwise; responses are ignored', async () => {
  const server = await startServer();
  const garbage = Buffer.concat([Buffer.from('abcd01000001000000000000', 'hex'), Buffer.from([0xc0, 0xff])]);
  const formerr = parsed(await overUdp(server.port, garbage));
  assert.deepEqual([formerr.id, formerr.rcode, formerr.qr], [0xabcd, RCODE.FORMERR, true]);
  assert.equal(await overUdp(server.port, Buffer.from('abcd01', 'hex'), 300), undefined);
  const response = encodeMessage(reply(parsed(query('web', TYPE.A)), RCODE.NOERROR));
  assert.equal(await overUdp(server.port, response, 300), undefined);
  const twoQuestions = parsed(query('web', TYPE.A));
  twoQuestions.questions.push({ name: 'db', type: TYPE.A, class: 1 });
  assert.equal(parsed(await overUdp(server.port, encodeMessage(twoQuestions))).rcode, RCODE.FORMERR);
  // still serving
  assert.deepEqual(await resolverFor(server).resolve4('web'), ['172.20.0.2']);
});

test('start fails cleanly when the port is taken; close frees it', async () => {
  const first = await startServer();
  await assert.rejects(
    new DnsServer({ address: '127.0.0.1', port: first.port, records, upstreams: [] }).start(),
    { kind: 'Unavailable' },
  );
  await first.close();
  const again = new DnsServer({ address: '127.0.0.1', port: first.port, records, upstreams: [] });
  await again.start();
  await again.close();
});
