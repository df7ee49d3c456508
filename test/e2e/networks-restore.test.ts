// A crash of berthd in the middle of a container's clean-up, then a new berthd on the same data
// root: what the crash left of the container's networking (its namespace, the host end of its
// veth on the bridge, its address) is removed, and nothing that is still in use or not this data
// root's: running containers' namespaces and veths, another berthd's, a port of another name on
// the bridge. The crash is made by SIGKILL and the half-done step written by hand, as it is left.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { hostInterface } from '../../src/engine/networks/strays.ts';
import {
  cleanup,
  type Daemon,
  docker,
  importBusybox,
  removeAllContainers,
  startDaemon,
} from './daemon-helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const foreign = `hd${process.pid % 100000}`;

let d: Daemon;
/** another berthd on the same host: its own data root and bridge */
let other: Daemon;
before(async () => {
  [d, other] = await Promise.all([startDaemon(), startDaemon()]);
  importBusybox(d);
  importBusybox(other);
});
after(async () => {
  spawnSync('ip', ['link', 'del', foreign], { stdio: 'ignore' });
  for (const daemon of [d, other]) {
    removeAllContainers(daemon);
    await cleanup(daemon);
  }
});

function run(daemon: Daemon, name: string): { id: string; veth: string; netns: string; ip: string } {
  const r = docker(daemon, ['run', '-d', '--name', name, 'busybox', 'sleep', '1000']);
  assert.equal(r.status, 0, r.stderr);
  const id = r.stdout.trim();
  const net = docker(daemon, ['network', 'inspect', '-f', '{{.Id}}', 'bridge']).stdout.trim();
  const ip = docker(daemon, ['inspect', '-f', '{{.NetworkSettings.IPAddress}}', id]).stdout.trim();
  return { id, veth: hostInterface(id, net), netns: join(daemon.execRoot, 'netns', id), ip };
}

const onBridge = (bridge: string, link: string) => existsSync(`/sys/class/net/${bridge}/brif/${link}`);
const mounted = (path: string) => readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${path} `);

async function gone(check: () => boolean, ms = 5000): Promise<boolean> {
  // the kernel takes a veth away with its namespace in the background
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (check()) return true;
  return check();
}

async function killBerthd(): Promise<void> {
  d.process.kill('SIGKILL');
  await new Promise((r) => d.process.once('exit', r));
}

test('a container forgotten but not detached: the next berthd removes its namespace and veth, nothing else', async () => {
  const keeper = run(d, 'keeper');
  const leaked = run(d, 'leaked');
  const elsewhere = run(other, 'elsewhere');
  for (const c of [keeper, leaked]) assert.ok(onBridge(d.bridge, c.veth), `${c.veth} on ${d.bridge}`);
  assert.ok(onBridge(other.bridge, elsewhere.veth));
  // a port of the bridge that berth did not make
  assert.equal(
    spawnSync('ip', ['link', 'add', foreign, 'type', 'veth', 'peer', 'name', `${foreign}p`]).status,
    0,
  );
  assert.equal(spawnSync('ip', ['link', 'set', foreign, 'master', d.bridge]).status, 0);

  await killBerthd();
  // what `rm -f` leaves when berthd dies after forgetting the record, before the detach
  rmSync(join(d.dataRoot, 'containers', leaked.id, 'container.json'));
  assert.ok(mounted(leaked.netns));
  d = await startDaemon([], d.dir);

  assert.equal(existsSync(leaked.netns), false, 'the namespace file is removed');
  assert.equal(mounted(leaked.netns), false, 'and unmounted');
  assert.ok(await gone(() => !onBridge(d.bridge, leaked.veth)), `${leaked.veth} is removed`);
  // still there: the running container's, the other berthd's, the port of another name
  assert.equal(
    docker(d, ['inspect', '-f', '{{.State.Status}} {{.NetworkSettings.IPAddress}}', 'keeper']).stdout.trim(),
    `running ${keeper.ip}`,
  );
  assert.ok(mounted(keeper.netns));
  assert.ok(onBridge(d.bridge, keeper.veth));
  assert.ok(mounted(elsewhere.netns));
  assert.ok(onBridge(other.bridge, elsewhere.veth));
  assert.ok(onBridge(d.bridge, foreign));
  const gateway = docker(d, ['inspect', '-f', '{{.NetworkSettings.Gateway}}', 'keeper']).stdout.trim();
  const ping = docker(d, ['exec', 'keeper', 'ping', '-c', '1', '-W', '2', gateway]);
  assert.equal(ping.status, 0, ping.stderr);
});

test('an exit saved but not cleaned up after: the next berthd frees its namespace, veth and address', async () => {
  const c = run(d, 'half-exited');
  const pid = Number(docker(d, ['inspect', '-f', '{{.State.Pid}}', c.id]).stdout.trim());
  await killBerthd();
  // the container exits while berthd is down; berthd had saved its exit and died before the
  // clean-up that follows it (its namespace still there, its address still in the record)
  process.kill(pid, 'SIGKILL');
  const file = join(d.dataRoot, 'containers', c.id, 'container.json');
  const rec = JSON.parse(readFileSync(file, 'utf8'));
  rec.State = {
    ...rec.State,
    Status: 'exited',
    Running: false,
    Pid: 0,
    ExitCode: 137,
    FinishedAt: new Date().toISOString(),
  };
  writeFileSync(file, JSON.stringify(rec));
  assert.ok(mounted(c.netns));
  d = await startDaemon([], d.dir);

  assert.equal(
    docker(d, [
      'inspect',
      '-f',
      '{{.State.Status}} {{.State.ExitCode}} [{{.NetworkSettings.IPAddress}}] [{{.NetworkSettings.SandboxKey}}]',
      c.id,
    ]).stdout.trim(),
    'exited 137 [] []',
  );
  assert.equal(existsSync(c.netns), false, 'the namespace file is removed');
  assert.ok(await gone(() => !onBridge(d.bridge, c.veth)), `${c.veth} is removed`);
  const onNetwork = docker(d, [
    'network',
    'inspect',
    '-f',
    '{{range .Containers}}{{.Name}} {{end}}',
    'bridge',
  ]);
  assert.doesNotMatch(onNetwork.stdout, /half-exited/);
  // it starts again, with an address
  assert.equal(docker(d, ['start', c.id]).status, 0);
  assert.match(docker(d, ['inspect', '-f', '{{.NetworkSettings.IPAddress}}', c.id]).stdout.trim(), /^10\./);
});
