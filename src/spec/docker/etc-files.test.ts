import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostnameFile, hostsFile, resolvConfFile } from './etc-files.ts';

test('hosts: loopback entries, --add-host, and the container under its own name', () => {
  const text = hostsFile({
    hostname: 'abc',
    domainname: 'example.org',
    hostConfig: { NetworkMode: 'none', ExtraHosts: ['db:10.0.0.2', 'v6=[::1]'] },
    hostHosts: '1.2.3.4 hostonly\n',
  });
  assert.match(text, /^127\.0\.0\.1\tlocalhost\n/);
  assert.match(text, /\n10\.0\.0\.2\tdb\n::1\tv6\n127\.0\.1\.1\tabc abc\.example\.org\n$/);
  assert.doesNotMatch(text, /hostonly/);
  assert.equal(hostnameFile('abc'), 'abc\n');
});

test("hosts with the host's network: the host's file and --add-host", () => {
  const text = hostsFile({
    hostname: 'h',
    hostConfig: { NetworkMode: 'host', ExtraHosts: ['x:10.1.1.1'] },
    hostHosts: '1.2.3.4 hostonly\n',
  });
  assert.equal(text, '1.2.3.4 hostonly\n10.1.1.1\tx\n');
});

test('resolv.conf: loopback resolvers dropped off the host network, --dns and friends win', () => {
  const host = 'nameserver 127.0.0.53\nnameserver 192.168.1.1\nsearch lan\noptions edns0\n';
  assert.equal(
    resolvConfFile(host, { NetworkMode: 'none' }),
    'nameserver 192.168.1.1\nsearch lan\noptions edns0\n',
  );
  assert.equal(
    resolvConfFile(host, { NetworkMode: 'host' }),
    'nameserver 127.0.0.53\nnameserver 192.168.1.1\nsearch lan\noptions edns0\n',
  );
  assert.equal(
    resolvConfFile(host, {
      NetworkMode: 'none',
      Dns: ['9.9.9.9'],
      DnsSearch: ['a.b'],
      DnsOptions: ['ndots:2'],
    }),
    'nameserver 9.9.9.9\nsearch a.b\noptions ndots:2\n',
  );
  assert.equal(resolvConfFile('nameserver 127.0.0.1\n', {}), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
});
