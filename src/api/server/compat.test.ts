import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspectForVersion, listForVersion } from './compat.ts';

const id = 'abcdef0123456789'.repeat(4);
const endpoint = (aliases: string[] | null, dnsNames: string[] | null) => ({
  Aliases: aliases,
  NetworkID: 'n',
  IPAddress: '10.0.0.2',
  DNSNames: dnsNames,
});
const inspected = () => ({
  Id: id,
  Config: { Hostname: 'web-host' },
  NetworkSettings: {
    IPAddress: '',
    Networks: {
      bridge: endpoint(null, null),
      mine: endpoint(['web', 'abcdef012345'], ['c1', 'web', 'abcdef012345']),
    },
  },
});

test('inspect: DNSNames from 1.44 on; before 1.45 the short ID and hostname among a user network’s Aliases', () => {
  const body = inspected();
  assert.equal(inspectForVersion(body, '1.45'), body);
  const v144 = inspectForVersion(body, '1.44') as ReturnType<typeof inspected>;
  assert.deepEqual(v144.NetworkSettings.Networks.mine, {
    ...endpoint(['web', 'abcdef012345', 'web-host'], ['c1', 'web', 'abcdef012345']),
  });
  // the default bridge is not a user-defined network: its Aliases stay
  assert.deepEqual(v144.NetworkSettings.Networks.bridge, endpoint(null, null));
  const v141 = inspectForVersion(body, '1.41') as ReturnType<typeof inspected>;
  assert.deepEqual(v141.NetworkSettings.Networks.mine, {
    Aliases: ['web', 'abcdef012345', 'web-host'],
    NetworkID: 'n',
    IPAddress: '10.0.0.2',
  });
  assert.equal('DNSNames' in v141.NetworkSettings.Networks.bridge, false);
  assert.equal(v141.NetworkSettings.IPAddress, '');
  // the body given (the record's own objects) is left as it was
  assert.deepEqual(body, inspected());
});

test('inspect before 1.45: no alias given, and the hostname the short ID (the default): one alias', () => {
  const body = { ...inspected(), Config: { Hostname: id.slice(0, 12) } };
  body.NetworkSettings.Networks.mine.Aliases = null;
  const out = inspectForVersion(body, '1.24') as ReturnType<typeof inspected>;
  assert.deepEqual(out.NetworkSettings.Networks.mine.Aliases, [id.slice(0, 12)]);
});

test('list: the endpoints’ "DNSNames":null key goes before 1.44; a label holding that text stays', () => {
  const list = [
    {
      Id: id,
      Labels: { tricky: ',"DNSNames":null' },
      NetworkSettings: { Networks: { bridge: { IPAddress: '10.0.0.2', DNSNames: null } } },
    },
  ];
  const body = Buffer.from(`${JSON.stringify(list)}\n`);
  assert.equal(listForVersion(body, '1.44'), body);
  const old = JSON.parse(listForVersion(body, '1.43').toString());
  assert.deepEqual(old[0].NetworkSettings.Networks.bridge, { IPAddress: '10.0.0.2' });
  assert.equal(old[0].Labels.tricky, ',"DNSNames":null');
});
