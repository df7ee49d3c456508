// The container I/O verbs (exec, logs, attach, cp, …) through the docker CLI, in the places
// where berth once differed from dockerd 20.10 run side by side with it: each expectation here
// is what dockerd answered to the same command.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  cleanup,
  type Daemon,
  docker,
  importBusybox,
  removeAllContainers,
  startDaemon,
} from './daemon-helpers.ts';

describe('container I/O as dockerd does it', { concurrency: false }, () => {
  let d: Daemon;
  before(async () => {
    d = await startDaemon();
    importBusybox(d);
    assert.equal(
      docker(d, ['run', '-d', '--name', 'io', '--network', 'none', 'busybox', 'sleep', '1000']).status,
      0,
    );
  });
  after(async () => {
    removeAllContainers(d);
    await cleanup(d);
  });

  test('exec -i: the start request body is not part of the stdin stream', () => {
    const res = docker(d, ['exec', '-i', 'io', 'cat'], 'hello\n');
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stdout, 'hello\n');
    // the same under a tty: the shell reads only what is typed
    const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') };
    const it = spawnSync('script', ['-qec', 'docker exec -it io sh', '/dev/null'], {
      env,
      input: 'exit 4\n',
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(it.status, 4, it.stdout);
    assert.doesNotMatch(it.stdout, /not found|Detach/);
  });

  test('exec that cannot start: the error on the stream, 126 (127 for a missing program)', () => {
    const user = docker(d, ['exec', '-u', 'nouser', 'io', 'id']);
    assert.equal(user.status, 126);
    assert.equal(user.stdout, 'unable to find user nouser: no matching entries in passwd file\r\n');
    const cwd = docker(d, ['exec', '-w', '/nonexistent', 'io', 'pwd']);
    assert.equal(cwd.status, 126, cwd.stdout + cwd.stderr);
    assert.equal(
      cwd.stdout,
      'OCI runtime exec failed: exec failed: unable to start container process: chdir to cwd ("/nonexistent") set in config.json failed: no such file or directory: unknown\r\n',
    );
    const missing = docker(d, ['exec', 'io', 'nosuchprogram']);
    assert.equal(missing.status, 127);
    // dockerd 20.10's words, exactly
    assert.equal(
      missing.stdout,
      'OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuchprogram": executable file not found in $PATH: unknown\r\n',
    );
    assert.equal(docker(d, ['exec', 'io', '/etc']).status, 126);
  });

  test('an exec whose user cannot be found leaves no directory under the exec root', () => {
    const curl = (path: string, body: unknown) => {
      const out = spawnSync(
        'curl',
        [
          '-s',
          '-w',
          '\\n%{http_code}',
          '--unix-socket',
          d.socket,
          '-H',
          'Content-Type: application/json',
          '-d',
          JSON.stringify(body),
          `http://berth${path}`,
        ],
        { encoding: 'utf8' },
      ).stdout;
      const end = out.lastIndexOf('\n');
      return { body: out.slice(0, end), status: out.slice(end + 1) };
    };
    const created = curl('/containers/io/exec', { Cmd: ['id'], User: 'nouser' });
    assert.equal(created.status, '201', created.body);
    const id = JSON.parse(created.body).Id as string;
    const started = curl(`/exec/${id}/start`, { Detach: true });
    assert.match(started.body, /unable to find user nouser/);
    assert.equal(existsSync(join(d.execRoot, 'x', id.slice(0, 32))), false);
  });

  test("exec's user: primary group and the container's --group-add among the groups; HOME is the user's", () => {
    assert.equal(
      docker(d, [
        'run',
        '-d',
        '--name',
        'grp',
        '--network',
        'none',
        '--group-add',
        '1000',
        '-u',
        'daemon',
        'busybox',
        'sleep',
        '100',
      ]).status,
      0,
    );
    assert.equal(
      docker(d, ['exec', 'grp', 'id']).stdout,
      'uid=1(daemon) gid=1(daemon) groups=1(daemon),1000\n',
    );
    assert.equal(
      docker(d, ['exec', '-u', 'nobody', 'grp', 'id']).stdout,
      'uid=65534(nobody) gid=65534(nogroup) groups=1000,65534(nogroup)\n',
    );
    assert.equal(docker(d, ['exec', '-u', '5:6', 'grp', 'id']).stdout, 'uid=5 gid=6 groups=6,1000\n');
    assert.equal(
      docker(d, ['exec', '-u', 'root', 'io', 'id']).stdout,
      'uid=0(root) gid=0(root) groups=0(root)\n',
    );
    assert.equal(docker(d, ['exec', '-u', 'nobody', 'io', 'sh', '-c', 'echo $HOME']).stdout, '/home\n');
    docker(d, ['rm', '-f', 'grp']);
  });

  test('exec TERM: xterm with -t, none without (even in a tty container)', () => {
    assert.equal(docker(d, ['exec', '-t', 'io', 'sh', '-c', 'echo $TERM']).stdout, 'xterm\r\n');
    assert.equal(docker(d, ['run', '-dt', '--name', 'tty', '--network', 'none', 'busybox', 'sh']).status, 0);
    assert.equal(docker(d, ['exec', 'tty', 'sh', '-c', 'echo TERM=$TERM']).stdout, 'TERM=\n');
    assert.equal(
      docker(d, ['exec', '-t', '-e', 'TERM=vt100', 'tty', 'sh', '-c', 'echo $TERM']).stdout,
      'vt100\r\n',
    );
    docker(d, ['rm', '-f', 'tty']);
  });

  test('exec into a paused container: the error names it as given', () => {
    assert.equal(
      docker(d, ['run', '-d', '--name', 'paused', '--network', 'none', 'busybox', 'sleep', '100']).status,
      0,
    );
    assert.equal(docker(d, ['pause', 'paused']).status, 0);
    const res = docker(d, ['exec', 'paused', 'true']);
    assert.equal(res.status, 1);
    assert.equal(
      res.stderr,
      'Error response from daemon: Container paused is paused, unpause the container before exec\n',
    );
    docker(d, ['rm', '-f', 'paused']);
  });

  test('GET /exec/ID/json: DetachKeys as bytes (base64), no empty user', async () => {
    const api = async (method: string, path: string, body?: unknown) => {
      const res = spawnSync(
        'curl',
        [
          '-s',
          '--unix-socket',
          d.socket,
          '-X',
          method,
          '-H',
          'Content-Type: application/json',
          ...(body ? ['-d', JSON.stringify(body)] : []),
          `http://berth${path}`,
        ],
        { encoding: 'utf8' },
      );
      return JSON.parse(res.stdout);
    };
    const { Id } = await api('POST', '/containers/io/exec', { Cmd: ['true'], DetachKeys: 'ctrl-a' });
    const info = await api('GET', `/exec/${Id}/json`);
    assert.equal(info.DetachKeys, 'AQ==');
    assert.equal('user' in info.ProcessConfig, false);
    const plain = await api('POST', '/containers/io/exec', { Cmd: ['true'], User: 'nobody' });
    const other = await api('GET', `/exec/${plain.Id}/json`);
    assert.equal(other.DetachKeys, '');
    assert.equal(other.ProcessConfig.user, 'nobody');
    // ExecIDs: the execs not yet ended; an ended one is still there to inspect
    const ended = await api('POST', '/containers/io/exec', { Cmd: ['sh', '-c', 'exit 7'] });
    spawnSync('curl', [
      '-s',
      '--unix-socket',
      d.socket,
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '-d',
      '{"Detach":true}',
      `http://berth/exec/${ended.Id}/start`,
    ]);
    let done = await api('GET', `/exec/${ended.Id}/json`);
    for (let i = 0; i < 100 && done.ExitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 50));
      done = await api('GET', `/exec/${ended.Id}/json`);
    }
    assert.equal(done.ExitCode, 7);
    const ids = (await api('GET', '/containers/io/json')).ExecIDs as string[];
    assert.ok(ids.includes(Id) && ids.includes(plain.Id), JSON.stringify(ids));
    assert.ok(!ids.includes(ended.Id), JSON.stringify(ids));
  });

  test('--log-driver none: no log file, logs refused, attach still works; unknown drivers and options refused', () => {
    const run = docker(d, [
      'run',
      '--name',
      'nolog',
      '--network',
      'none',
      '--log-driver',
      'none',
      'busybox',
      'echo',
      'hi',
    ]);
    assert.equal(run.stdout, 'hi\n');
    assert.equal(
      docker(d, ['inspect', '-f', '{{json .HostConfig.LogConfig}} [{{.LogPath}}]', 'nolog']).stdout,
      '{"Type":"none","Config":{}} []\n',
    );
    const logs = docker(d, ['logs', 'nolog']);
    assert.equal(logs.status, 1);
    assert.equal(
      logs.stderr,
      'Error response from daemon: configured logging driver does not support reading\n',
    );
    const plugin = docker(d, [
      'run',
      '-d',
      '--name',
      'badlog',
      '--log-driver',
      'nosuchdrv',
      'busybox',
      'true',
    ]);
    assert.equal(plugin.status, 125);
    assert.match(plugin.stderr, /error looking up logging plugin nosuchdrv: plugin "nosuchdrv" not found/);
    const opt = docker(d, ['run', '-d', '--name', 'badlog', '--log-opt', 'foo=bar', 'busybox', 'true']);
    assert.match(opt.stderr, /unknown log opt 'foo' for json-file log driver/);
    assert.notEqual(docker(d, ['inspect', 'badlog']).status, 0, 'not created');
    const size = docker(d, [
      'run',
      '-d',
      '--name',
      'badsize',
      '--log-opt',
      'max-size=abc',
      'busybox',
      'true',
    ]);
    assert.match(size.stderr, /failed to initialize logging driver: invalid size: 'abc'/);
    assert.equal(
      docker(d, ['inspect', '-f', '{{.HostConfig.LogConfig.Type}}', 'badsize']).stdout,
      'json-file\n',
    );
  });

  test('logs --details: the log attributes (labels, env, tag) before each line', () => {
    docker(d, [
      'run',
      '--name',
      'detailed',
      '--network',
      'none',
      '-l',
      'a=b',
      '-e',
      'X=y z',
      '--log-opt',
      'labels=a',
      '--log-opt',
      'env=X',
      '--log-opt',
      'tag={{.Name}}',
      'busybox',
      'echo',
      'hi',
    ]);
    assert.equal(docker(d, ['logs', '--details', 'detailed']).stdout, 'X=y+z,a=b,tag=detailed hi\n');
    assert.match(
      docker(d, ['logs', '--details', '-t', 'detailed']).stdout,
      /^\S+Z X=y\+z,a=b,tag=detailed hi\n$/,
    );
    assert.equal(docker(d, ['logs', '--details', 'nolog']).status, 1);
    docker(d, ['run', '--name', 'plain', '--network', 'none', 'busybox', 'echo', 'hi']);
    assert.equal(docker(d, ['logs', '--details', 'plain']).stdout, ' hi\n');
  });

  test('log rotation as json-file: max-size in decimal units, a file rotated once it reached it', () => {
    // dockerd 20.10 keeps 26 of these 2000 lines (two files of 1000 bytes and one entry more)
    docker(d, [
      'run',
      '--name',
      'rot',
      '--network',
      'none',
      '--log-opt',
      'max-size=1k',
      '--log-opt',
      'max-file=2',
      'busybox',
      'seq',
      '1',
      '2000',
    ]);
    assert.equal(docker(d, ['logs', 'rot']).stdout.split('\n').length - 1, 26);
    // max-size alone: one file (12 lines here, as dockerd)
    docker(d, [
      'run',
      '--name',
      'rot1',
      '--network',
      'none',
      '--log-opt',
      'max-size=1k',
      'busybox',
      'seq',
      '1',
      '2000',
    ]);
    assert.equal(docker(d, ['logs', 'rot1']).stdout.split('\n').length - 1, 12);
  });

  test('cp of file/ or file/. out of a container: not a directory, as dockerd (without its host path)', () => {
    for (const path of ['/etc/passwd/', '/etc/passwd/.']) {
      const res = docker(d, ['cp', `io:${path}`, join(d.dir, 'out')]);
      assert.equal(res.status, 1);
      assert.equal(res.stderr, `Error response from daemon: lstat ${path}: not a directory\n`);
    }
    assert.equal(docker(d, ['cp', 'io:/etc/', join(d.dir, 'etc-out')]).status, 0);
  });

  test('exec start whose body arrives after its headers: the stream still flows both ways', {
    timeout: 20_000,
  }, async () => {
    const created = spawnSync(
      'curl',
      [
        '-s',
        '--unix-socket',
        d.socket,
        '-H',
        'Content-Type: application/json',
        '-d',
        '{"Cmd":["cat"],"AttachStdin":true,"AttachStdout":true}',
        'http://berth/containers/io/exec',
      ],
      { encoding: 'utf8' },
    );
    const id = JSON.parse(created.stdout).Id as string;
    const body = '{"Detach":false,"Tty":false}';
    const sock = connect(d.socket);
    await once(sock, 'connect');
    sock.write(
      `POST /exec/${id}/start HTTP/1.1\r\nHost: berth\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
    );
    await new Promise((r) => setTimeout(r, 100));
    sock.write(body);
    let got = Buffer.alloc(0);
    sock.on('data', (c: Buffer) => (got = Buffer.concat([got, c])));
    // (the answer comes once the exec's shim runs: allow a slow machine its time)
    for (const end = Date.now() + 15_000; Date.now() < end && !got.includes('\r\n\r\n'); )
      await new Promise((r) => setTimeout(r, 20));
    assert.match(got.toString('latin1'), /^HTTP\/1.1 101/);
    sock.end('hello\n');
    await once(sock, 'close');
    const stream = got.subarray(got.indexOf('\r\n\r\n') + 4);
    assert.deepEqual(stream, Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, 6]), Buffer.from('hello\n')]));
  });

  test("commit -c takes dockerd's instructions: HEALTHCHECK yes, STOPSIGNAL no", () => {
    assert.equal(docker(d, ['commit', '-c', 'HEALTHCHECK --interval=5s CMD true', 'io', 'hc:1']).status, 0);
    assert.equal(
      docker(d, ['inspect', '-f', '{{json .Config.Healthcheck}}', 'hc:1']).stdout,
      '{"Test":["CMD-SHELL","true"],"Interval":5000000000}\n',
    );
    const stop = docker(d, ['commit', '-c', 'STOPSIGNAL SIGUSR1', 'io', 'ss:1']);
    assert.equal(stop.status, 1);
    assert.equal(stop.stderr, 'Error response from daemon: stopsignal is not a valid change command\n');
  });

  test('events: what dockerd sends for exec, stop, restart, top and rm -f', () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    const steps = [
      ['run', '-d', '--name', 'ev', '-l', 'lab=1', '--network', 'none', 'busybox', 'sleep', '100'],
      ['exec', 'ev', 'true'],
      ['stop', '-t', '1', 'ev'],
      ['start', 'ev'],
      ['restart', '-t', '0', 'ev'],
      ['top', 'ev'],
      ['rm', '-f', 'ev'],
    ];
    for (const step of steps) assert.equal(docker(d, step).status, 0, step.join(' '));
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const format = '{{.Action}}|{{.Actor.Attributes.signal}}|{{.Actor.Attributes.lab}}';
    const events = docker(d, [
      'events',
      '--since',
      since,
      '--until',
      until,
      '--filter',
      'container=ev',
      '--format',
      format,
    ]);
    assert.deepEqual(events.stdout.trim().split('\n'), [
      'create|<no value>|1',
      'start|<no value>|1',
      'exec_create: true |<no value>|1',
      'exec_start: true |<no value>|1',
      'exec_die|<no value>|1',
      'kill|15|1',
      'kill|9|1',
      'die|<no value>|1',
      'stop|<no value>|1',
      'start|<no value>|1',
      'kill|15|1',
      'kill|9|1',
      'die|<no value>|1',
      'stop|<no value>|1',
      'start|<no value>|1',
      'restart|<no value>|1',
      'top|<no value>|1',
      'kill|9|1',
      'die|<no value>|1',
      'destroy|<no value>|1',
    ]);
  });

  test("bad detach keys: attach's upgrade refused with a 400, exec create with dockerd's words", () => {
    assert.equal(
      // (running for as long as the test needs it: a slow machine could outlast a short sleep)
      docker(d, ['run', '-d', '--name', 'keys', '--network', 'none', 'busybox', 'sleep', '100']).status,
      0,
    );
    const attach = docker(d, ['attach', '--detach-keys=bogus', 'keys'], '');
    assert.equal(attach.status, 1);
    assert.equal(attach.stderr, 'unable to upgrade to tcp, received 400\n');
    const exec = docker(d, ['exec', '--detach-keys=bogus', 'io', 'true']);
    assert.equal(exec.status, 1);
    assert.equal(exec.stderr, 'Error response from daemon: Invalid escape keys (bogus) provided\n');
    docker(d, ['rm', '-f', 'keys']);
  });
});
