// Which daemon the CLI talks to (-H, BERTH_HOST, DOCKER_HOST, the default socket), and
// starting berthd when nothing answers on the default socket (or when BERTH_DAEMON_ARGS says how).

import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, type TlsOptions } from '../api/client/client.ts';
import { errorKind, unavailable } from '../common/errors.ts';
import { checkoutRoot } from '../common/paths.ts';

export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';

export function chooseHost(flag: string | undefined, env = process.env): string {
  return flag || env.BERTH_HOST || env.DOCKER_HOST || DEFAULT_HOST;
}

async function answers(client: ApiClient): Promise<boolean> {
  try {
    await client.negotiate();
    return true;
  } catch (err) {
    if (errorKind(err) === 'Unavailable') return false;
    throw err;
  }
}

/** A client for `host`; starts berthd first when it is a unix socket nobody answers on. */
export async function connect(host: string, tls?: TlsOptions, env = process.env): Promise<ApiClient> {
  const client = new ApiClient(host, tls);
  if (await answers(client)) return client;
  const extra = env.BERTH_DAEMON_ARGS;
  if (!host.startsWith('unix://') || (host !== DEFAULT_HOST && extra === undefined)) {
    throw unavailable(`Cannot connect to the berth daemon at ${host}. Is the berth daemon running?`);
  }
  const args = ['-H', host, ...(extra ? extra.split(/\s+/).filter(Boolean) : [])];
  const logDir = '/var/log/berth';
  mkdirSync(logDir, { recursive: true });
  const log = openSync(join(logDir, 'berthd.log'), 'a');
  const child = spawn(join(checkoutRoot(), 'bin', 'berthd'), args, {
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? 1;
  });
  for (let i = 0; i < 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (await answers(client)) return client;
    if (exited !== null) {
      throw unavailable(`berthd exited with status ${exited} while starting; see ${logDir}/berthd.log`);
    }
  }
  throw unavailable(`berthd did not answer on ${host} within 10 seconds; see ${logDir}/berthd.log`);
}
