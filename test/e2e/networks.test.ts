// Bridge networks on the real kernel through the docker CLI against berthd: published ports
// (127.0.0.1, the host's own address, other containers, -P, random ports), user networks with
// names and aliases through the embedded DNS, connect/disconnect on a running container, --link,
// outbound NAT to a "remote" host living in a network namespace of the test's own, --internal,
// clean removal (no nft table, veth or bridge left), a berthd kill and restart keeping rules and
// addresses, and the conflicts (subnets, taken host ports) failing with nothing half-made.
// Every bridge, subnet and name here is the test's own; all are removed afterwards.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  cleanup,
  type Daemon,
  docker,
  importBusybox,
  ROOT,
  removeAllContainers,
  removeBridge,
  startDaemon,
} from './daemon-helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tag = `${process.pid % 10000}`;
// 10.210-249.x: among the daemon helpers' default bridges (10.200-249.x.0/24 at random,
// so a collision is possible but improbable); one octet of our own from the pid
const octet = process.pid % 250;
const USER_SUBNET = `10.${210 + (octet % 40)}.${Math.floor(octet / 40)}.0/24`;
const V6_NET_SUBNET = `10.${210 + (octet % 40)}.${Math.floor(octet / 40) + 100}.0/24`;
const REMOTE = { hostIf: `rh${tag}`, hostIp: `198.18.${octet}.1`, ip: `198.18.${octet}.2` };

function sh(cmd: string, args: string[]) {
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
  return { status: res.status ?? 128, stdout: res.stdout ?? '', stderr: res.stderr ?? '' };
}

/** An address of the host's own that is not loopback or one of berth's bridges. */
function hostAddress(): string | undefined {
  const res = sh('ip', ['-j', '-4', 'addr', 'show', 'scope', 'global']);
  const links = JSON.parse(res.stdout || '[]') as { ifname: string; addr_info: { local: string }[] }[];
  for (const l of links) {
    if (/^(bt|bn|br-|veth|rh)/.test(l.ifname)) continue;
    if (l.addr_info[0]) return l.addr_info[0].local;
  }
  return undefined;
}

async function httpGet(host: string, port: number): Promise<string> {
  const res = await fetch(`http://${host}:${port}/`, { signal: AbortSignal.timeout(5000) });
  return res.text();
}

async function retry<T>(fn: () => Promise<T>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > end) throw err;
      await sleep(100);
    }
  }
}

describe('bridge networks through the docker CLI', { concurrency: false }, () => {
  let d: Daemon;
  let www: string;
  let remote: ChildProcess | undefined;
  let remoteNs: string;
  const userBridge = `bn${tag}u`;
  const internalBridge = `bn${tag}i`;
  const ok = (args: string[]) => {
    const res = docker(d, args);
    assert.equal(res.status, 0, `docker ${args.join(' ')}: ${res.stderr}`);
    return res.stdout.trim();
  };
  const inspect = (name: string, format: string) => ok(['inspect', '-f', format, name]);
  // the end of a `run` line for a busybox web server on port 80 serving www
  const webServer = () => ['-v', `${www}:/www`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/www'];
  // busybox's static wget crashes on some answers: HTTP through nc instead
  const fetchIn = (runArgs: string[], host: string, port: number, path = '/') =>
    ok([...runArgs, 'sh', '-c', `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} ${port}`]);
  const bridgePorts = (bridge: string) =>
    JSON.parse(sh('ip', ['-j', 'link', 'show', 'master', bridge]).stdout || '[]') as unknown[];
  const nftTable = (bridge: string) => sh('nft', ['list', 'table', 'inet', `berth-${bridge}`]);

  before(async () => {
    d = await startDaemon();
    importBusybox(d);
    www = join(d.dir, 'www');
    mkdirSync(join(www, 'cgi-bin'), { recursive: true });
    writeFileSync(join(www, 'index.html'), 'hello from berth\n');
    // the remote host: its own namespace, a veth to the host, an httpd telling who called
    remoteNs = join(d.dir, 'remote-ns');
    writeFileSync(remoteNs, '');
    assert.equal(sh('unshare', [`--net=${remoteNs}`, 'true']).status, 0);
    const link = sh('ip', [
      'link',
      'add',
      REMOTE.hostIf,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      remoteNs,
    ]);
    assert.equal(link.status, 0, link.stderr);
    sh('ip', ['addr', 'add', `${REMOTE.hostIp}/30`, 'dev', REMOTE.hostIf]);
    sh('ip', ['link', 'set', REMOTE.hostIf, 'up']);
    const inside = (args: string[]) => sh('nsenter', [`--net=${remoteNs}`, 'ip', ...args]);
    inside(['link', 'set', 'lo', 'up']);
    inside(['addr', 'add', `${REMOTE.ip}/30`, 'dev', 'eth0']);
    inside(['link', 'set', 'eth0', 'up']);
    inside(['route', 'add', 'default', 'via', REMOTE.hostIp]);
    const remoteWww = join(d.dir, 'remote-www');
    mkdirSync(join(remoteWww, 'cgi-bin'), { recursive: true });
    writeFileSync(
      join(remoteWww, 'cgi-bin', 'who'),
      '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "caller=$REMOTE_ADDR"\n',
    );
    chmodSync(join(remoteWww, 'cgi-bin', 'who'), 0o755);
    remote = spawn(
      'nsenter',
      [`--net=${remoteNs}`, 'busybox', 'httpd', '-f', '-p', '8080', '-h', remoteWww],
      {
        stdio: 'ignore',
      },
    );
  });

  after(async () => {
    remote?.kill('SIGKILL');
    removeAllContainers(d);
    for (const n of ['ntest-user', 'ntest-internal', 'ntest-a', 'ntest-b', 'ntest-v6'])
      docker(d, ['network', 'rm', n]);
    sh('ip', ['link', 'del', REMOTE.hostIf]);
    sh('umount', ['-l', remoteNs]);
    removeBridge(userBridge);
    removeBridge(internalBridge);
    removeBridge(`bn${tag}6`);
    await cleanup(d);
  });

  test('a published port answers on 127.0.0.1, on the host address and from another container', async () => {
    ok(['run', '-d', '--name', 'web', '-p', '18180:80', ...webServer()]);
    assert.equal(await retry(() => httpGet('127.0.0.1', 18180)), 'hello from berth\n');
    const addr = hostAddress();
    if (addr) assert.equal(await retry(() => httpGet(addr, 18180)), 'hello from berth\n');
    // another container, through the host's address (hairpin through the same bridge)
    if (addr) {
      const out = fetchIn(['run', '--rm', 'busybox'], addr, 18180);
      assert.match(out, /200 OK[\s\S]*hello from berth$/);
    }
    // the container itself, through its own published port
    if (addr) assert.match(fetchIn(['exec', 'web'], addr, 18180), /hello from berth$/);
    assert.equal(ok(['port', 'web']), '80/tcp -> 0.0.0.0:18180');
    assert.equal(ok(['port', 'web', '80']), '0.0.0.0:18180');
    assert.match(ok(['ps', '--filter', 'name=^web$', '--format', '{{.Ports}}']), /0\.0\.0\.0:18180->80\/tcp/);
    // as dockerd matches them: publish the host port, expose the container's
    assert.equal(ok(['ps', '--filter', 'publish=18180', '--format', '{{.Names}}']), 'web');
    assert.equal(ok(['ps', '--filter', 'publish=80', '--format', '{{.Names}}']), '');
    assert.equal(ok(['ps', '--filter', 'expose=80', '--format', '{{.Names}}']), 'web');
    assert.equal(ok(['ps', '--filter', 'network=bridge', '--format', '{{.Names}}']), 'web');
    const ip = inspect('web', '{{.NetworkSettings.IPAddress}}');
    const gw = inspect('web', '{{.NetworkSettings.Gateway}}');
    const bip = JSON.parse(sh('cat', [join(d.dir, 'bridge.json')]).stdout).bip as string;
    assert.equal(gw, bip.split('/')[0]);
    assert.match(ip, /^10\.\d+\.\d+\.\d+$/);
    assert.equal(inspect('web', '{{.NetworkSettings.Networks.bridge.IPAddress}}'), ip);
    assert.match(inspect('web', '{{.NetworkSettings.MacAddress}}'), /^02:42:/);
    assert.equal(
      inspect('web', '{{json .NetworkSettings.Ports}}'),
      '{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"18180"}]}',
    );
    // the container sees its own address in /etc/hosts
    assert.match(
      ok(['exec', 'web', 'cat', '/etc/hosts']),
      new RegExp(`^${ip.replace(/\./g, '\\.')}\\s`, 'm'),
    );
  });

  test('-P publishes the exposed ports on random host ports; -p with no host port too', async () => {
    ok(['run', '-d', '--name', 'webp', '--expose', '80', '-P', ...webServer()]);
    const port = Number(ok(['port', 'webp', '80/tcp']).split(':').pop());
    assert.ok(port >= 1024, `random port ${port}`);
    assert.equal(await retry(() => httpGet('127.0.0.1', port)), 'hello from berth\n');
    ok(['run', '-d', '--name', 'webr', '-p', '127.0.0.1::80', ...webServer()]);
    const bound = ok(['port', 'webr', '80']);
    assert.match(bound, /^127\.0\.0\.1:\d+$/);
    assert.equal(await retry(() => httpGet('127.0.0.1', Number(bound.split(':')[1]))), 'hello from berth\n');
    ok(['rm', '-f', 'webp', 'webr']);
  });

  test('a host port taken by another container or a host process fails cleanly', async () => {
    const res = docker(d, ['run', '-d', '--name', 'clash', '-p', '18180:80', 'busybox', 'sleep', '100']);
    assert.notEqual(res.status, 0);
    assert.match(res.stderr, /18180.*(already allocated|in use)/);
    assert.equal(inspect('clash', '{{.State.Running}}'), 'false');
    assert.equal(inspect('clash', '{{json .NetworkSettings.Ports}}'), '{}');
    ok(['rm', 'clash']);
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(18181, '0.0.0.0', r));
    try {
      const taken = docker(d, ['run', '-d', '--name', 'clash2', '-p', '18181:80', 'busybox', 'sleep', '100']);
      assert.notEqual(taken.status, 0);
      assert.match(
        taken.stderr,
        /failed to bind host port for 0\.0\.0\.0:18181\/tcp: address already in use/,
      );
      assert.doesNotMatch(nftTable(d.bridge).stdout, /dport 18181/);
      assert.equal(inspect('clash2', '{{.NetworkSettings.IPAddress}}'), '');
      ok(['rm', 'clash2']);
    } finally {
      server.close();
    }
  });

  test('a user network: containers find each other by name and alias; create/ls/inspect', () => {
    const id = ok([
      'network',
      'create',
      '--subnet',
      USER_SUBNET,
      '-o',
      `com.docker.network.bridge.name=${userBridge}`,
      '--label',
      'purpose=test',
      'ntest-user',
    ]);
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.match(ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']), /^ntest-user bridge$/m);
    assert.equal(
      ok(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', 'ntest-user']),
      USER_SUBNET,
    );
    assert.equal(sh('ip', ['link', 'show', userBridge]).status, 0);
    ok(['run', '-d', '--name', 'alpha', '--network', 'ntest-user', '--network-alias', 'db', ...webServer()]);
    const alphaIp = inspect('alpha', '{{(index .NetworkSettings.Networks "ntest-user").IPAddress}}');
    assert.ok(alphaIp.startsWith(USER_SUBNET.split('.').slice(0, 3).join('.')));
    for (const name of ['alpha', 'db', 'alpha.ntest-user']) {
      const out = ok(['run', '--rm', '--network', 'ntest-user', 'busybox', 'nslookup', name]);
      assert.match(out, new RegExp(`Address: ${alphaIp.replace(/\./g, '\\.')}`), name);
    }
    const page = fetchIn(['run', '--rm', '--network', 'ntest-user', 'busybox'], 'db', 80);
    assert.match(page, /hello from berth$/);
    // inspect lists the running endpoint
    const containers = JSON.parse(ok(['network', 'inspect', '-f', '{{json .Containers}}', 'ntest-user']));
    const entry = Object.values(containers) as { Name: string; IPv4Address: string }[];
    assert.deepEqual(
      entry.map((e) => [e.Name, e.IPv4Address]),
      [['alpha', `${alphaIp}/24`]],
    );
    // networks are isolated: from the default bridge, alpha's address does not answer
    const across = docker(d, ['run', '--rm', 'busybox', 'ping', '-c', '1', '-W', '1', alphaIp]);
    assert.notEqual(across.status, 0, across.stdout);
    // an unknown name is not berth's: it goes upstream, and the host's nameserver is not reachable
    // from here, so it fails, but the DNS server stays up and answers berth's names after it
    docker(d, [
      'run',
      '--rm',
      '--network',
      'ntest-user',
      'busybox',
      'nslookup',
      '-timeout=1',
      'nonexistent.invalid',
    ]);
    assert.match(ok(['run', '--rm', '--network', 'ntest-user', 'busybox', 'nslookup', 'alpha']), /Address: /);
  });

  test('connect and disconnect a running container', () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    ok(['run', '-d', '--name', 'mover', '--network', 'none', 'busybox', 'sleep', '1000']);
    const refused = docker(d, ['network', 'connect', 'ntest-user', 'mover']);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /host network|network namespace|cannot be/);
    ok(['rm', '-f', 'mover']);
    ok(['run', '-d', '--name', 'mover', 'busybox', 'sleep', '1000']);
    ok(['network', 'connect', '--alias', 'moved', 'ntest-user', 'mover']);
    assert.match(
      ok(['exec', 'mover', 'ip', '-o', 'addr', 'show', 'eth1']),
      new RegExp(USER_SUBNET.split('.').slice(0, 3).join('\\.')),
    );
    const nsl = ok(['run', '--rm', '--network', 'ntest-user', 'busybox', 'nslookup', 'moved']);
    assert.match(nsl, /Address: 10\./);
    const again = docker(d, ['network', 'connect', 'ntest-user', 'mover']);
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /already exists in network ntest-user/);
    ok(['network', 'disconnect', 'ntest-user', 'mover']);
    assert.notEqual(docker(d, ['exec', 'mover', 'ip', 'addr', 'show', 'eth1']).status, 0);
    assert.equal(inspect('mover', '{{len .NetworkSettings.Networks}}'), '1');
    const gone = docker(d, ['network', 'disconnect', 'ntest-user', 'mover']);
    assert.notEqual(gone.status, 0);
    assert.match(gone.stderr, /is not connected to network ntest-user/);
    const events = ok([
      'events',
      '--since',
      since,
      '--until',
      String(Math.ceil(Date.now() / 1000) + 1),
      '--filter',
      'type=network',
      '--filter',
      'network=ntest-user',
      '--filter',
      'event=connect',
      '--filter',
      'event=disconnect',
      '--format',
      '{{.Action}} {{.Actor.Attributes.name}}',
    ]);
    assert.deepEqual(events.split('\n'), ['connect ntest-user', 'disconnect ntest-user']);
    ok(['rm', '-f', 'mover']);
  });

  test('--link on the default bridge: /etc/hosts names the linked container', () => {
    ok(['run', '-d', '--name', 'linked', 'busybox', 'sleep', '1000']);
    const ip = inspect('linked', '{{.NetworkSettings.IPAddress}}');
    const hosts = ok(['run', '--rm', '--link', 'linked:buddy', 'busybox', 'cat', '/etc/hosts']);
    assert.match(hosts, new RegExp(`^${ip.replace(/\./g, '\\.')}\\s+buddy\\b.*\\blinked\\b`, 'm'));
    const ping = ok([
      'run',
      '--rm',
      '--link',
      'linked:buddy',
      'busybox',
      'ping',
      '-c',
      '1',
      '-W',
      '2',
      'buddy',
    ]);
    assert.match(ping, /1 packets received/);
    const stopped = docker(d, ['run', '--rm', '--link', 'nosuch:x', 'busybox', 'true']);
    assert.notEqual(stopped.status, 0);
    ok(['rm', '-f', 'linked']);
  });

  test("--dns on a user network: berth's names still resolve, the rest goes to the container's server", async () => {
    // a nameserver on the remote host (port 53 of its own address), answering one name
    const script = `
      import { DnsServer } from ${JSON.stringify(join(ROOT, 'src/network/dns/server.ts'))};
      const s = new DnsServer({ address: ${JSON.stringify(REMOTE.ip)}, upstreams: [], records: {
        lookup: (name) => (name === 'far.example' ? { v4: ['192.0.2.77'], v6: [] } : undefined),
        reverse: () => undefined,
      } });
      await s.start();
      console.log('ready');`;
    const dns = spawn(
      'nsenter',
      [`--net=${remoteNs}`, process.execPath, '--input-type=module', '-e', script],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        dns.stdout?.on('data', (d) => String(d).includes('ready') && resolve());
        dns.once('exit', (code) => reject(new Error(`the remote nameserver exited: ${code}`)));
      });
      const run = ['run', '--rm', '--network', 'ntest-user', '--dns', REMOTE.ip, 'busybox', 'nslookup'];
      assert.match(ok([...run, 'far.example']), /Address: 192\.0\.2\.77/);
      assert.match(ok([...run, 'alpha']), /Address: 10\./);
      // without --dns the same name goes to the host's nameservers, not the remote one
      const plain = docker(d, [
        'run',
        '--rm',
        '--network',
        'ntest-user',
        'busybox',
        'nslookup',
        '-timeout=1',
        'far.example',
      ]);
      assert.doesNotMatch(plain.stdout, /192\.0\.2\.77/);
    } finally {
      dns.kill('SIGKILL');
    }
  });

  test('outbound traffic is masqueraded to the remote host; --internal networks have no egress', async () => {
    const out = await retry(async () => {
      const answer = fetchIn(['run', '--rm', 'busybox'], REMOTE.ip, 8080, '/cgi-bin/who');
      assert.match(answer, /caller=/);
      return answer;
    });
    // the remote host sees the host's address on its link, not the container's
    assert.match(out, new RegExp(`caller=\\[?(::ffff:)?${REMOTE.hostIp.replace(/\./g, '\\.')}\\]?$`));
    ok([
      'network',
      'create',
      '--internal',
      '-o',
      `com.docker.network.bridge.name=${internalBridge}`,
      'ntest-internal',
    ]);
    const blocked = docker(d, [
      'run',
      '--rm',
      '--network',
      'ntest-internal',
      'busybox',
      'sh',
      '-c',
      `echo | nc -w 2 ${REMOTE.ip} 8080`,
    ]);
    assert.notEqual(blocked.status, 0);
    // but the containers of an internal network still reach each other
    ok(['run', '-d', '--name', 'inner', '--network', 'ntest-internal', 'busybox', 'sleep', '1000']);
    const inner = ok([
      'run',
      '--rm',
      '--network',
      'ntest-internal',
      'busybox',
      'ping',
      '-c',
      '1',
      '-W',
      '2',
      'inner',
    ]);
    assert.match(inner, /1 packets received/);
    ok(['rm', '-f', 'inner']);
  });

  test('conflicting subnets and bad requests fail with docker errors, leaving nothing', () => {
    const overlap = docker(d, ['network', 'create', '--subnet', USER_SUBNET, 'ntest-a']);
    assert.notEqual(overlap.status, 0);
    assert.match(overlap.stderr, /Pool overlaps with other one on this address space/);
    assert.equal(docker(d, ['network', 'inspect', 'ntest-a']).status, 1);
    const gw = docker(d, [
      'network',
      'create',
      '--subnet',
      '10.219.250.0/24',
      '--gateway',
      '10.1.1.1',
      'ntest-b',
    ]);
    assert.match(gw.stderr, /no matching subnet for gateway 10\.1\.1\.1/);
    const dup = docker(d, ['network', 'create', 'ntest-user']);
    assert.match(dup.stderr, /network with name ntest-user already exists/);
    assert.match(
      docker(d, ['network', 'rm', 'bridge']).stderr,
      /bridge is a pre-defined network and cannot be removed/,
    );
    assert.match(docker(d, ['network', 'inspect', 'nosuchnet']).stderr, /network nosuchnet not found/);
    const missing = docker(d, ['run', '--rm', '--network', 'nosuchnet', 'busybox', 'true']);
    assert.match(missing.stderr, /network nosuchnet not found/);
  });

  test('--ip and --ip6 on an --ipv6 network; the addresses are free again after rm', () => {
    const six = `fd00:${tag}::/64`;
    ok([
      'network',
      'create',
      '--ipv6',
      '--subnet',
      six,
      '--subnet',
      V6_NET_SUBNET,
      '-o',
      `com.docker.network.bridge.name=bn${tag}6`,
      'ntest-v6',
    ]);
    const fixed4 = V6_NET_SUBNET.replace(/\.0\/24$/, '.50');
    ok([
      'run',
      '-d',
      '--name',
      'six',
      '--network',
      'ntest-v6',
      '--ip',
      fixed4,
      '--ip6',
      `fd00:${tag}::50`,
      'busybox',
      'sleep',
      '1000',
    ]);
    assert.equal(inspect('six', '{{(index .NetworkSettings.Networks "ntest-v6").IPAddress}}'), fixed4);
    assert.equal(
      inspect('six', '{{(index .NetworkSettings.Networks "ntest-v6").GlobalIPv6Address}}'),
      `fd00:${tag}::50`,
    );
    const ping = ok([
      'run',
      '--rm',
      '--network',
      'ntest-v6',
      'busybox',
      'ping',
      '-c',
      '1',
      '-W',
      '2',
      `fd00:${tag}::50`,
    ]);
    assert.match(ping, /1 packets received/);
    const taken = docker(d, ['run', '--rm', '--network', 'ntest-v6', '--ip', fixed4, 'busybox', 'true']);
    assert.notEqual(taken.status, 0);
    assert.match(taken.stderr, /Address already in use/);
    ok(['rm', '-f', 'six']);
    ok(['run', '--rm', '--network', 'ntest-v6', '--ip', fixed4, 'busybox', 'true']);
    ok(['network', 'rm', 'ntest-v6']);
    assert.notEqual(sh('ip', ['link', 'show', `bn${tag}6`]).status, 0);
  });

  test('berthd killed and restarted: rules, addresses and names stay', async () => {
    ok(['run', '-d', '--name', 'keeper', '--network', 'ntest-user', '-p', '18182:80', ...webServer()]);
    assert.equal(await retry(() => httpGet('127.0.0.1', 18182)), 'hello from berth\n');
    const ip = inspect('keeper', '{{(index .NetworkSettings.Networks "ntest-user").IPAddress}}');
    d.process.kill('SIGKILL');
    await new Promise((r) => d.process.once('exit', r));
    // berthd is gone: the port still answers (kernel rules, no proxy process)
    assert.equal(await httpGet('127.0.0.1', 18182), 'hello from berth\n');
    d = await startDaemon([], d.dir);
    assert.equal(await httpGet('127.0.0.1', 18182), 'hello from berth\n');
    assert.equal(inspect('keeper', '{{(index .NetworkSettings.Networks "ntest-user").IPAddress}}'), ip);
    assert.match(
      ok(['run', '--rm', '--network', 'ntest-user', 'busybox', 'nslookup', 'keeper']),
      new RegExp(ip.replace(/\./g, '\\.')),
    );
    // a new container does not get the address the running one holds
    ok(['run', '-d', '--name', 'second', '--network', 'ntest-user', 'busybox', 'sleep', '100']);
    assert.notEqual(inspect('second', '{{(index .NetworkSettings.Networks "ntest-user").IPAddress}}'), ip);
    ok(['rm', '-f', 'second']);
  });

  test('rm -f and network rm leave no rules, veths or bridges', async () => {
    removeAllContainers(d);
    // the kernel takes the veths away with the namespaces, in the background
    await retry(async () => assert.deepEqual([...bridgePorts(userBridge), ...bridgePorts(d.bridge)], []));
    assert.doesNotMatch(nftTable(userBridge).stdout, /dnat ip6? to/);
    assert.doesNotMatch(nftTable(d.bridge).stdout, /dnat ip6? to/);
    const inUse = docker(d, ['network', 'rm', 'ntest-user']);
    assert.equal(inUse.status, 0, inUse.stderr);
    ok(['network', 'rm', 'ntest-internal']);
    assert.notEqual(sh('ip', ['link', 'show', userBridge]).status, 0);
    assert.notEqual(nftTable(userBridge).status, 0);
    assert.notEqual(nftTable(internalBridge).status, 0);
    assert.equal(sh('sh', ['-c', `ls ${join(d.execRoot, 'netns')} | wc -l`]).stdout.trim(), '0');
  });
});
