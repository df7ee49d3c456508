import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addressRecord,
  encodeMessage,
  encodeWithin,
  formatError,
  type Message,
  query as newQuery,
  parseMessage,
  ptrAddress,
  ptrRecord,
  RCODE,
  reply,
  TYPE,
  udpLimit,
} from './message.ts';
import { readHostResolvers } from './resolvconf.ts';

const query = (name: string, type: number, edns?: number) => newQuery(name, type, 0x1234, edns);

function parsed(packet: Buffer): Message {
  const result = parseMessage(packet);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.message;
}

test('a query encodes as dig would send it and parses back', () => {
  const packet = encodeMessage(query('web.mynet', TYPE.A));
  assert.equal(packet.toString('hex'), '12340100000100000000000003776562056d796e65740000010001');
  assert.deepEqual(parsed(packet), query('web.mynet', TYPE.A));
});

test('answers round-trip; owner names point at the question (compression)', () => {
  const answer = reply(
    query('Web', TYPE.A, 1232),
    RCODE.NOERROR,
    [addressRecord('Web', '172.20.0.2'), addressRecord('Web', '172.20.0.3')],
    true,
  );
  const packet = encodeMessage(answer);
  // header 12 + question 9 + two answers of 2+10+4 + OPT 11
  assert.equal(packet.length, 12 + 9 + 32 + 11);
  assert.equal(packet.readUInt16BE(21), 0xc00c);
  const back = parsed(packet);
  assert.deepEqual(back, answer);
  assert.ok(back.qr && back.aa && back.ra && back.rd && !back.tc);
});

test('AAAA and PTR records; names inside RDATA are compressed and read back', () => {
  const v6 = encodeMessage(reply(query('db', TYPE.AAAA), 0, [addressRecord('db', 'fd00:0:0::2')]));
  assert.deepEqual(parsed(v6).answers[0].data, 'fd00::2');
  assert.equal(parsed(v6).answers[0].type, TYPE.AAAA);
  const name = '2.0.20.172.in-addr.arpa';
  const ptr = reply(query(name, TYPE.PTR), 0, [ptrRecord(name, 'web.mynet')], true);
  assert.deepEqual(parsed(encodeMessage(ptr)).answers[0], ptrRecord(name, 'web.mynet'));
});

test('compression pointers are followed, loops and forward pointers refused', () => {
  // question "a.example" at 12, then an answer owned by "b" + pointer to "example" (offset 14)
  const fixed = Buffer.from(
    '000781800001000100000000' +
      '0161076578616d706c6500' +
      '00010001' +
      '0162c00e' +
      '000100010000025800040a000001',
    'hex',
  );
  const message = parsed(fixed);
  assert.equal(message.questions[0].name, 'a.example');
  assert.equal(message.answers[0].name, 'b.example');
  assert.equal(message.answers[0].data, '10.0.0.1');

  const selfLoop = Buffer.from('000100000001000000000000c00c00010001', 'hex');
  assert.deepEqual(parseMessage(selfLoop), {
    ok: false,
    id: 1,
    error: 'compression pointer at byte 12 does not point backwards',
  });
  const forward = Buffer.from('000100000001000000000000c00e0001000100', 'hex');
  assert.equal(parseMessage(forward).ok, false);
});

test('malformed packets give an error (with the id when there is one), never an exception', () => {
  assert.deepEqual(parseMessage(Buffer.from('0102', 'hex')), { ok: false, error: 'message of 2 bytes' });
  const good = encodeMessage(reply(query('web', TYPE.A), 0, [addressRecord('web', '10.0.0.2')]));
  for (let cut = 12; cut < good.length; cut++) {
    const result = parseMessage(good.subarray(0, cut));
    assert.equal(result.ok, false, `cut at ${cut}`);
    assert.equal(result.ok ? 0 : result.id, 0x1234);
  }
  // an A record of 3 bytes; a label of type 0x40
  const badA = Buffer.from(good);
  badA.writeUInt16BE(3, good.length - 6);
  assert.equal(parseMessage(badA.subarray(0, good.length - 1)).ok, false);
  assert.equal(parseMessage(Buffer.from('000100000001000000000000410001', 'hex')).ok, false);
  for (let i = 0; i < 20000; i++) {
    const random = Buffer.from(Array.from({ length: 12 + (i % 60) }, () => Math.floor(Math.random() * 256)));
    parseMessage(random);
  }
  assert.deepEqual(formatError(0xbeef).toString('hex'), 'beef80810000000000000000');
});

test('labels holding dots or backslashes survive a round trip; bad names are refused on encode', () => {
  const packet = Buffer.from('000100000001000000000000036124620000010001', 'hex');
  packet[14] = 0x2e; // the label is now "a.b"
  const message = parsed(packet);
  assert.equal(message.questions[0].name, 'a\\.b');
  assert.deepEqual(encodeMessage(message), packet);
  assert.throws(() => encodeMessage(query('x'.repeat(64), TYPE.A)), RangeError);
  assert.throws(() => encodeMessage(query('a..b', TYPE.A)), RangeError);
  assert.equal(encodeMessage(query('.', TYPE.NS)).length, 12 + 5);
});

test('encodeWithin drops answers from the end and sets TC for UDP only', () => {
  const ips = Array.from({ length: 60 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
  const big = reply(
    query('many', TYPE.A),
    0,
    ips.map((ip) => addressRecord('many', ip)),
    true,
  );
  const udp = parsed(encodeWithin(big, 512, true));
  assert.ok(udp.tc);
  assert.equal(udp.answers.length, Math.floor((512 - 12 - 10) / 16));
  const tcp = parsed(encodeWithin(big, 65535, false));
  assert.ok(!tcp.tc);
  assert.equal(tcp.answers.length, 60);
  assert.equal(udpLimit(query('x', TYPE.A)), 512);
  assert.equal(udpLimit(query('x', TYPE.A, 1232)), 1232);
  assert.equal(udpLimit(query('x', TYPE.A, 100)), 512);
  assert.equal(udpLimit(query('x', TYPE.A, 65000)), 4096);
});

test('ptrAddress reads in-addr.arpa and ip6.arpa names', () => {
  assert.equal(ptrAddress('2.0.20.172.in-addr.arpa'), '172.20.0.2');
  assert.equal(ptrAddress('2.0.20.172.IN-ADDR.ARPA.'), '172.20.0.2');
  assert.equal(ptrAddress('2.0.20.in-addr.arpa'), undefined);
  assert.equal(ptrAddress('2.0.20.300.in-addr.arpa'), undefined);
  const nibbles = '2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f';
  assert.equal(ptrAddress(`${nibbles}.ip6.arpa`), 'fd00::2');
  assert.equal(ptrAddress('web.mynet'), undefined);
});

test('readHostResolvers: nameservers in order, the last search/domain, all options', () => {
  const text = [
    '# Generated by NetworkManager',
    'domain corp.example',
    'search lab.example example.com',
    'nameserver 127.0.0.53 ; systemd-resolved',
    'nameserver   fe80::1%eth0',
    'nameserver',
    'options edns0 trust-ad',
    'options ndots:2',
    'sortlist 130.155.160.0/255.255.240.0',
  ].join('\n');
  assert.deepEqual(readHostResolvers(text), {
    nameservers: ['127.0.0.53', 'fe80::1%eth0'],
    search: ['lab.example', 'example.com'],
    options: ['edns0', 'trust-ad', 'ndots:2'],
  });
  assert.deepEqual(readHostResolvers('search a.example\ndomain b.example\n').search, ['b.example']);
  assert.deepEqual(readHostResolvers(''), { nameservers: [], search: [], options: [] });
});
