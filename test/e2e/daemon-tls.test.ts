// berthd on TCP with TLS client certificates: the docker CLI with a client certificate gets in,
// without one it does not.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanup, type Daemon, startDaemon } from './daemon-helpers.ts';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makeCerts(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=berth-test-ca',
  );
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${who}-key.pem`,
      '-out',
      `${who}.csr`,
      '-subj',
      `/CN=${who}`,
    );
    ssl(
      'x509',
      '-req',
      '-in',
      `${who}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-out',
      `${who}.pem`,
      '-days',
      '2',
      '-extfile',
      `${who}.ext`,
    );
  }
}

/** berthd opens its listeners one after another; the unix socket answering does not mean TCP does. */
async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

const dir = mkdtempSync(join(tmpdir(), 'berthd-tls-'));
let daemon: Daemon | undefined;
after(async () => {
  if (daemon) await cleanup(daemon);
  rmSync(dir, { recursive: true, force: true });
});

test('TCP with --tlsverify admits only clients with a certificate from the CA', async () => {
  makeCerts(dir);
  const port = await freePort();
  const tls = [
    '--tlsverify',
    '--tlscacert',
    join(dir, 'ca.pem'),
    '--tlscert',
    join(dir, 'server.pem'),
    '--tlskey',
    join(dir, 'server-key.pem'),
  ];
  daemon = await startDaemon(['-H', `tcp://127.0.0.1:${port}`, ...tls], mkdtempSync(join(dir, 'd-')));
  await waitForPort(port);
  const env = { ...process.env, DOCKER_HOST: '', DOCKER_CONFIG: join(dir, 'docker-config') };
  const withCert = spawnSync(
    'docker',
    [
      '--tlsverify',
      '--tlscacert',
      join(dir, 'ca.pem'),
      '--tlscert',
      join(dir, 'client.pem'),
      '--tlskey',
      join(dir, 'client-key.pem'),
      '-H',
      `tcp://127.0.0.1:${port}`,
      'version',
      '--format',
      '{{.Server.APIVersion}}',
    ],
    { encoding: 'utf8', env, timeout: 30_000 },
  );
  assert.equal(withCert.status, 0, `${withCert.stderr}\n${daemon.log()}`);
  assert.equal(withCert.stdout.trim(), '1.45');
  const without = spawnSync(
    'docker',
    ['--tlsverify', '--tlscacert', join(dir, 'ca.pem'), '-H', `tcp://127.0.0.1:${port}`, 'version'],
    {
      encoding: 'utf8',
      env,
      timeout: 30_000,
    },
  );
  assert.notEqual(without.status, 0);
  assert.match(without.stderr, /certificate|tls|handshake/i);
});
