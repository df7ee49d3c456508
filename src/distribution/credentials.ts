// Registry credentials in the docker CLI's config file (`$DOCKER_CONFIG/config.json`, else
// `~/.docker/config.json`): `auths` entries with base64 `user:password`, or a credential helper
// (`credsStore` for all registries, `credHelpers` per registry) run as
// `docker-credential-<name> get|store|erase` with JSON on stdin/stdout, as the docker CLI does.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { invalidArgument } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs.ts';
import type { AuthConfig } from './client.ts';

interface ConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}

function readConfig(path: string): ConfigFile {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ConfigFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw invalidArgument(`${path}: ${(err as Error).message}`);
  }
}

/** The helper for a registry key, if any. */
function helperFor(cfg: ConfigFile, key: string): string | undefined {
  return cfg.credHelpers?.[key] ?? cfg.credsStore ?? undefined;
}

function runHelper(helper: string, action: 'get' | 'store' | 'erase', input: string): string {
  const res = spawnSync(`docker-credential-${helper}`, [action], {
    input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (res.error) throw invalidArgument(`error getting credentials - err: ${res.error.message}`);
  if (res.status !== 0) {
    const out = `${res.stdout}${res.stderr}`.trim();
    if (action === 'get' && /credentials not found/i.test(out)) return '';
    throw invalidArgument(
      `error ${action === 'get' ? 'getting' : action === 'store' ? 'storing' : 'erasing'} credentials - err: exit status ${res.status}, out: \`${out}\``,
    );
  }
  return res.stdout;
}

/** The stored credentials for a registry key (`127.0.0.1:5000`, `https://index.docker.io/v1/`). */
export function getCredentials(key: string, path = configPath()): AuthConfig | undefined {
  const cfg = readConfig(path);
  const helper = helperFor(cfg, key);
  if (helper) {
    const out = runHelper(helper, 'get', key);
    if (!out.trim()) return undefined;
    const c = JSON.parse(out) as { Username?: string; Secret?: string };
    if (!c.Username && !c.Secret) return undefined;
    return c.Username === '<token>'
      ? { identitytoken: c.Secret, serveraddress: key }
      : { username: c.Username, password: c.Secret, serveraddress: key };
  }
  const entry = cfg.auths?.[key];
  if (!entry) return undefined;
  const out: AuthConfig = { serveraddress: key };
  if (entry.auth) {
    const text = Buffer.from(entry.auth, 'base64').toString('utf8');
    const i = text.indexOf(':');
    out.username = text.slice(0, i);
    out.password = text.slice(i + 1);
  }
  if (entry.identitytoken) out.identitytoken = entry.identitytoken;
  return out.username || out.identitytoken ? out : undefined;
}

/** Stores credentials for a registry key: in the helper if one is configured, else in `auths`. */
/** Stores a registry's credentials; returns where: a credential helper, or the file in plain text. */
export function storeCredentials(key: string, auth: AuthConfig, path = configPath()): 'helper' | 'file' {
  const cfg = readConfig(path);
  const helper = helperFor(cfg, key);
  if (helper) {
    runHelper(
      helper,
      'store',
      JSON.stringify({
        ServerURL: key,
        Username: auth.identitytoken ? '<token>' : auth.username,
        Secret: auth.identitytoken ?? auth.password,
      }),
    );
    cfg.auths = { ...cfg.auths, [key]: {} };
  } else {
    const entry: { auth?: string; identitytoken?: string } = {
      auth: Buffer.from(`${auth.username ?? ''}:${auth.password ?? ''}`).toString('base64'),
    };
    if (auth.identitytoken) entry.identitytoken = auth.identitytoken;
    cfg.auths = { ...cfg.auths, [key]: entry };
  }
  writeConfig(path, cfg);
  return helper ? 'helper' : 'file';
}

/** Removes a registry's credentials; false when there were none. */
export function eraseCredentials(key: string, path = configPath()): boolean {
  const cfg = readConfig(path);
  const helper = helperFor(cfg, key);
  let had = Boolean(cfg.auths?.[key]);
  if (helper) {
    try {
      runHelper(helper, 'erase', key);
      had = true;
    } catch {}
  }
  if (cfg.auths?.[key]) {
    delete cfg.auths[key];
    writeConfig(path, cfg);
  }
  return had;
}

function writeConfig(path: string, cfg: ConfigFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomic(path, `${JSON.stringify(cfg, null, '\t')}\n`, 0o600);
}

/** Docker Hub's key in config.json (what `docker login` with no server uses). */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

/** config.json's key for a registry domain: Docker Hub's legacy URL, else the domain. */
export function authKey(domain: string): string {
  return ['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(domain)
    ? DOCKER_HUB_AUTH_KEY
    : domain;
}

/** The key of a server address as `docker login` takes it: `https://host:5000/` → host:5000. */
export function serverKey(server: string | undefined): string {
  if (!server) return DOCKER_HUB_AUTH_KEY;
  const host = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return authKey(host);
}

/** X-Registry-Auth: base64url of the JSON credentials (`{}` for none). */
export function encodeRegistryAuth(auth: AuthConfig | undefined): string {
  return Buffer.from(JSON.stringify(auth ?? {})).toString('base64url');
}
