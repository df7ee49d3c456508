// A real registry for tests: Debian's docker-registry (distribution 2.8) on 127.0.0.1 with its
// own port, config and storage under a temp directory, optionally with htpasswd basic auth,
// bearer tokens from a small token server of the test's own, or TLS with a CA the test makes.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasRegistry = (() => {
  try {
    execFileSync('docker-registry', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export interface Registry {
  dir: string;
  port: number;
  /** `127.0.0.1:PORT` */
  host: string;
  process: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  htpasswd?: { user: string; password: string };
  /** Bearer auth: the registry trusts `cert` and sends clients to `realm`. */
  token?: { realm: string; service: string; issuer: string; certFile: string };
  tls?: { certFile: string; keyFile: string };
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`docker-registry did not listen on ${port}: ${log()}`);
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-registry-'));
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'storage')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
  ];
  if (opts.tls) lines.push('  tls:', `    certificate: ${opts.tls.certFile}`, `    key: ${opts.tls.keyFile}`);
  if (opts.htpasswd) {
    const file = join(dir, 'htpasswd');
    execFileSync('htpasswd', ['-Bbc', file, opts.htpasswd.user, opts.htpasswd.password], { stdio: 'ignore' });
    lines.push('auth:', '  htpasswd:', '    realm: basic-realm', `    path: ${file}`);
  } else if (opts.token) {
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${opts.token.realm}`,
      `    service: ${opts.token.service}`,
      `    issuer: ${opts.token.issuer}`,
      `    rootcertbundle: ${opts.token.certFile}`,
    );
  }
  mkdirSync(join(dir, 'storage'));
  writeFileSync(join(dir, 'config.yml'), `${lines.join('\n')}\n`);
  let output = '';
  const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await waitPort(port, child, () => output);
  return {
    dir,
    port,
    host: `127.0.0.1:${port}`,
    process: child,
    log: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs openssl with the arguments; throws with its output on failure. */
export function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** A CA and a server certificate for 127.0.0.1 signed by it, in `dir`. */
export function makeCa(dir: string): { ca: string; cert: string; key: string } {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=berth test CA',
    ],
    dir,
  );
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=127.0.0.1',
    ],
    dir,
  );
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
    ],
    dir,
  );
  return { ca: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
}

export interface TokenServer {
  url: string;
  server: Server;
  /** Every token request's query and whether it carried good credentials. */
  requests: { scope: string[]; service: string | null; authorized: boolean }[];
  close(): Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/**
 * A token server as Docker Hub's auth service: GET ?service=&scope= with basic credentials →
 * {"token"} signed RS256 with `keyFile` (the registry trusts its certificate). Anonymous callers
 * get a token without access; `user`/`password` get every action they asked for.
 */
export async function startTokenServer(opts: {
  keyFile: string;
  certFile: string;
  issuer: string;
  service: string;
  user: string;
  password: string;
}): Promise<TokenServer> {
  const { createPrivateKey, createSign, X509Certificate } = await import('node:crypto');
  const { readFileSync } = await import('node:fs');
  const key = createPrivateKey(readFileSync(opts.keyFile));
  const cert = new X509Certificate(readFileSync(opts.certFile));
  const requests: TokenServer['requests'] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const scope = url.searchParams.getAll('scope');
    const auth = req.headers.authorization ?? '';
    const good = auth === `Basic ${Buffer.from(`${opts.user}:${opts.password}`).toString('base64')}`;
    requests.push({ scope, service: url.searchParams.get('service'), authorized: good });
    if (auth && !good) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end('{"details":"incorrect username or password"}');
      return;
    }
    const access = good
      ? scope.map((s) => {
          const [type, ...rest] = s.split(':');
          const actions = rest.pop()!.split(',');
          return { type, name: rest.join(':'), actions };
        })
      : [];
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [cert.raw.toString('base64')] };
    const claims = {
      iss: opts.issuer,
      sub: good ? opts.user : '',
      aud: opts.service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: createHmac('sha256', 'x').update(String(Math.random())).digest('hex'),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = createSign('RSA-SHA256').update(input).sign(key);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token: `${input}.${b64url(sig)}`, expires_in: 300 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/token`,
    server,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** berth without blocking this process (for tests whose own servers must answer meanwhile). */
export function berthAsync(
  host: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(import.meta.dirname, '..', '..', 'bin', 'berth'), ['-H', host, ...args], {
      env: { ...process.env, BERTH_HOST: '', DOCKER_HOST: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? 128, stdout, stderr });
    });
  });
}
