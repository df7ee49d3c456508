// berthd's configuration: /etc/berth/daemon.json (Docker's key names), command-line flags on
// top. Unknown keys and flags are refused, as dockerd does.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { invalidArgument } from '../common/errors.ts';
import type { EngineConfig } from '../engine/engine.ts';

export interface DaemonConfig extends EngineConfig {
  hosts: string[];
  pidfile: string;
  tls: boolean;
  tlsverify: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  configFile: string;
}

export const DEFAULT_SOCKET = '/run/berth/berth.sock';
export const DEFAULT_CONFIG_FILE = '/etc/berth/daemon.json';

const DEFAULTS = {
  dataRoot: '/var/lib/berth',
  execRoot: '/run/berth',
  storageDriver: 'overlay',
  logLevel: 'info',
  labels: [],
  debug: false,
  insecureRegistries: [],
  registryMirrors: [],
  hosts: [],
  pidfile: '',
  tls: false,
  tlsverify: false,
} satisfies Partial<DaemonConfig>;

/** daemon.json key -> config field and type */
const KEYS: Record<string, [keyof DaemonConfig, 'string' | 'bool' | 'list' | 'map' | 'number']> = {
  'log-opts': ['logOpts', 'map'],
  init: ['init', 'bool'],
  'init-path': ['initPath', 'string'],
  'data-root': ['dataRoot', 'string'],
  'exec-root': ['execRoot', 'string'],
  'storage-driver': ['storageDriver', 'string'],
  'log-level': ['logLevel', 'string'],
  labels: ['labels', 'list'],
  debug: ['debug', 'bool'],
  'insecure-registries': ['insecureRegistries', 'list'],
  'registry-mirrors': ['registryMirrors', 'list'],
  'max-concurrent-downloads': ['maxConcurrentDownloads', 'number'],
  'max-concurrent-uploads': ['maxConcurrentUploads', 'number'],
  'certs-dir': ['certsDir', 'string'],
  bridge: ['bridge', 'string'],
  bip: ['bip', 'string'],
  ip: ['ip', 'string'],
  hosts: ['hosts', 'list'],
  pidfile: ['pidfile', 'string'],
  tls: ['tls', 'bool'],
  tlsverify: ['tlsverify', 'bool'],
  tlscacert: ['tlscacert', 'string'],
  tlscert: ['tlscert', 'string'],
  tlskey: ['tlskey', 'string'],
};
/** flag -> daemon.json key (short forms too) */
const FLAGS: Record<string, string> = {
  '--data-root': 'data-root',
  '--exec-root': 'exec-root',
  '--storage-driver': 'storage-driver',
  '-s': 'storage-driver',
  '--log-level': 'log-level',
  '-l': 'log-level',
  '--label': 'labels',
  '--debug': 'debug',
  '-D': 'debug',
  '--insecure-registry': 'insecure-registries',
  '--registry-mirror': 'registry-mirrors',
  '--max-concurrent-downloads': 'max-concurrent-downloads',
  '--max-concurrent-uploads': 'max-concurrent-uploads',
  '--certs-dir': 'certs-dir',
  '--bridge': 'bridge',
  '-b': 'bridge',
  '--bip': 'bip',
  '--ip': 'ip',
  '--host': 'hosts',
  '-H': 'hosts',
  '--pidfile': 'pidfile',
  '-p': 'pidfile',
  '--tls': 'tls',
  '--tlsverify': 'tlsverify',
  '--tlscacert': 'tlscacert',
  '--tlscert': 'tlscert',
  '--tlskey': 'tlskey',
  '--log-opt': 'log-opts',
  '--init': 'init',
  '--init-path': 'init-path',
};

type Raw = Record<string, unknown>;

function set(out: Raw, key: string, value: unknown, where: string): void {
  const entry = KEYS[key];
  if (!entry) throw invalidArgument(`${where}: unknown configuration option "${key}"`);
  const [field, type] = entry;
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw invalidArgument(`${where}: "${key}" must be true or false`);
    out[field] = value;
  } else if (type === 'map') {
    // daemon.json: {"max-size": "10m"}; a flag: max-size=10m
    const entries =
      typeof value === 'string'
        ? [[value.slice(0, Math.max(0, value.indexOf('='))), value.slice(value.indexOf('=') + 1)]]
        : value && typeof value === 'object' && !Array.isArray(value)
          ? Object.entries(value)
          : undefined;
    if (!entries || entries.some(([k, v]) => !k || typeof v !== 'string'))
      throw invalidArgument(`${where}: "${key}" must be an object of strings (key=value for a flag)`);
    out[field] = {
      ...((out[field] as Record<string, string> | undefined) ?? {}),
      ...Object.fromEntries(entries),
    };
  } else if (type === 'number') {
    const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
      throw invalidArgument(`${where}: "${key}" must be a positive integer`);
    out[field] = n;
  } else if (type === 'list') {
    const list = Array.isArray(value) ? value : [value];
    if (!list.every((v) => typeof v === 'string'))
      throw invalidArgument(`${where}: "${key}" must be a list of strings`);
    out[field] = [...((out[field] as string[] | undefined) ?? []), ...list];
  } else {
    if (typeof value !== 'string' || value === '')
      throw invalidArgument(`${where}: "${key}" must be a non-empty string`);
    out[field] = value;
  }
}

export function parseDaemonArgs(argv: readonly string[]): {
  flags: Raw;
  configFile: string;
  help: boolean;
  version: boolean;
} {
  const flags: Raw = {};
  let configFile = DEFAULT_CONFIG_FILE;
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    if (name === '--help' || name === '-h') help = true;
    else if (name === '--version' || name === '-v') version = true;
    else if (name === '--config-file') configFile = inline ?? argv[++i] ?? '';
    else if (FLAGS[name]) {
      const key = FLAGS[name];
      if (KEYS[key][1] === 'bool') set(flags, key, inline === undefined ? true : inline !== 'false', 'flag');
      else {
        const value = inline ?? argv[++i];
        if (value === undefined) throw invalidArgument(`flag needs an argument: ${name}`);
        set(flags, key, value, `flag ${name}`);
      }
    } else throw invalidArgument(`unknown flag: ${arg}`);
  }
  return { flags, configFile, help, version };
}

/** Reads daemon.json (missing is fine unless it was named explicitly) and merges the flags over it. */
export function loadConfig(argv: readonly string[]): DaemonConfig & { help: boolean; version: boolean } {
  const { flags, configFile, help, version } = parseDaemonArgs(argv);
  const file: Raw = {};
  let text: string | undefined;
  try {
    text = readFileSync(configFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || configFile !== DEFAULT_CONFIG_FILE) {
      throw invalidArgument(`unable to read config file ${configFile}: ${(err as Error).message}`);
    }
  }
  if (text !== undefined && text.trim() !== '') {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw invalidArgument(`${configFile}: invalid JSON: ${(err as Error).message}`);
    }
    if (!json || typeof json !== 'object' || Array.isArray(json))
      throw invalidArgument(`${configFile}: not a JSON object`);
    for (const [key, value] of Object.entries(json)) set(file, key, value, configFile);
    for (const key of Object.keys(flags)) {
      if (key in file && !['labels', 'insecureRegistries', 'registryMirrors', 'logOpts'].includes(key)) {
        throw invalidArgument(
          `the following directives are specified both as a flag and in the configuration file: ${key} (from flag and from file ${configFile})`,
        );
      }
    }
  }
  const config = { ...DEFAULTS, ...file, ...flags, configFile, help, version } as DaemonConfig & {
    help: boolean;
    version: boolean;
  };
  // Docker calls its overlay driver overlay2 (its `overlay` was an older one berth does not have)
  if ((config.storageDriver as string) === 'overlay2') config.storageDriver = 'overlay';
  if (config.storageDriver !== 'overlay' && config.storageDriver !== 'vfs') {
    throw invalidArgument(`unknown storage driver "${config.storageDriver}" (want overlay2 or vfs)`);
  }
  if (!['debug', 'info', 'warn', 'error', 'fatal'].includes(config.logLevel)) {
    throw invalidArgument(`unable to parse logging level: ${config.logLevel}`);
  }
  // relative roots are taken from the working directory once, as dockerd does: state files
  // record paths under them, and the shims run elsewhere
  config.dataRoot = resolve(config.dataRoot);
  config.execRoot = resolve(config.execRoot);
  if (config.hosts.length === 0) config.hosts = [`unix://${DEFAULT_SOCKET}`];
  if (!config.pidfile) config.pidfile = `${config.execRoot}/berthd.pid`;
  if (config.tlsverify) config.tls = true;
  return config;
}
