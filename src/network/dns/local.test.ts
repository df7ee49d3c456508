import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerLocally, type DnsRecords, localNames } from './local.ts';
import { type Message, query, RCODE, TYPE } from './message.ts';

/** Network `mynet`: web (v4), db (v4+v6), alias `cache` on two containers, `pg` a link alias of web's. */
const records: DnsRecords = {
  lookup(name, from) {
    if (name === 'web') return { v4: ['172.20.0.2'], v6: [] };
    if (name === 'db') return { v4: ['172.20.0.3'], v6: ['fd00::3'] };
    if (name === 'cache') return { v4: ['172.20.0.4', '172.20.0.5'], v6: [] };
    if (name === 'pg' && from === '172.20.0.2') return { v4: ['172.20.0.3'], v6: [] };
    return undefined;
  },
  reverse(ip) {
    return { '172.20.0.2': 'web.mynet', 'fd00::3': 'db.mynet' }[ip];
  },
};

function withClass(name: string, type: number, klass: number): Message {
  const m = query(name, type, 7);
  m.questions[0].class = klass;
  return m;
}

const ask = (name: string, type: number, from = '172.20.0.9', klass = 1) =>
  answerLocally(withClass(name, type, klass), records, ['mynet'], from);
const data = (m: Message | undefined) => m?.answers.map((a) => a.data).sort();

test('localNames: the name, then without the network domain; case and trailing dot ignored', () => {
  assert.deepEqual(localNames('Web.MyNet.', ['mynet']), ['web.mynet', 'web']);
  assert.deepEqual(localNames('web', ['mynet', '.dns.podman.']), ['web']);
  assert.deepEqual(localNames('web.dns.podman', ['mynet', '.dns.podman.']), ['web.dns.podman', 'web']);
  assert.deepEqual(localNames('mynet', ['mynet']), ['mynet']);
  assert.deepEqual(localNames('', ['mynet']), []);
});

test('A and AAAA for container names, with and without the network name, any case', () => {
  const a = ask('WEB', TYPE.A);
  assert.equal(a?.rcode, RCODE.NOERROR);
  assert.ok(a?.aa && a.ra && a.qr);
  assert.deepEqual(a?.answers, [{ name: 'WEB', type: TYPE.A, class: 1, ttl: 600, data: '172.20.0.2' }]);
  assert.deepEqual(data(ask('web.mynet', TYPE.A)), ['172.20.0.2']);
  assert.deepEqual(data(ask('db', TYPE.AAAA)), ['fd00::3']);
  assert.deepEqual(data(ask('db', TYPE.ANY)), ['172.20.0.3', 'fd00::3']);
});

test('a shared alias answers with every address', () => {
  assert.deepEqual(data(ask('cache', TYPE.A)), ['172.20.0.4', '172.20.0.5']);
});

test('a local name with no record of the type asked: NOERROR, no answers, not forwarded', () => {
  for (const type of [TYPE.AAAA, TYPE.MX, TYPE.TXT]) {
    const m = ask('web', type);
    assert.equal(m?.rcode, RCODE.NOERROR);
    assert.ok(m?.aa);
    assert.deepEqual(m?.answers, []);
  }
});

test('link aliases only for the container that has the link', () => {
  assert.deepEqual(data(ask('pg', TYPE.A, '172.20.0.2')), ['172.20.0.3']);
  assert.equal(ask('pg', TYPE.A, '172.20.0.9'), undefined);
});

test('PTR for container addresses, v4 and v6', () => {
  assert.deepEqual(data(ask('2.0.20.172.in-addr.arpa', TYPE.PTR)), ['web.mynet']);
  const v6 = `3.0.0.0.${'0.'.repeat(26)}d.f.ip6.arpa`;
  assert.deepEqual(data(ask(v6, TYPE.PTR)), ['db.mynet']);
  assert.equal(ask('9.9.20.172.in-addr.arpa', TYPE.PTR), undefined);
});

test('everything else is forwarded: other names, other classes', () => {
  assert.equal(ask('example.com', TYPE.A), undefined);
  assert.equal(ask('web.othernet', TYPE.A), undefined);
  assert.equal(ask('web', TYPE.A, '172.20.0.9', 3), undefined);
  assert.equal(ask('', TYPE.NS), undefined);
});
