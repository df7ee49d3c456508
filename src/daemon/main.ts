// berthd: the daemon. Reads its configuration, takes the lock on its data root, serves the
// Engine API on its hosts, and shuts down cleanly on SIGTERM (SIGHUP reloads daemon.json).

import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { apiRouter, handler } from '../api/server/server.ts';
import { conflict, errorKind } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs.ts';
import { ENGINE_VERSION, Engine } from '../engine/engine.ts';
import { type DaemonConfig, loadConfig } from './config.ts';
import { type Listener, listen } from './listen.ts';
import { logger } from './log.ts';

/** One daemon per data root: an abstract unix socket, released by the kernel when we die. */
function lockDataRoot(dataRoot: string): Promise<Server> {
  const name = `\0berthd-${createHash('sha256').update(dataRoot).digest('hex').slice(0, 32)}`;
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE' ? conflict(`another berthd is running with data root ${dataRoot}`) : err,
      ),
    );
    server.listen(name, () => resolve(server));
  });
}

async function start(config: DaemonConfig): Promise<void> {
  const log = logger(config.logLevel);
  const lock = await lockDataRoot(config.dataRoot);
  const engine = await Engine.create(config);
  const router = apiRouter(engine);
  const listeners: Listener[] = [];
  try {
    for (const host of config.hosts)
      listeners.push(
        await listen(
          host,
          config,
          handler(router, (l) => log.debug(l)),
        ),
      );
  } catch (err) {
    for (const l of listeners) await l.close();
    throw err;
  }
  writeFileAtomic(config.pidfile, String(process.pid));
  log.info(`berthd ${ENGINE_VERSION} started`, { pid: process.pid, 'data-root': config.dataRoot });
  for (const l of listeners) log.info('API listen', { address: l.address });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    await Promise.all(listeners.map((l) => l.close()));
    rmSync(config.pidfile, { force: true });
    lock.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {
    try {
      const fresh = loadConfig(process.argv.slice(2));
      engine.reload({ labels: fresh.labels, debug: fresh.debug, logLevel: fresh.logLevel });
      log.info('configuration reloaded', { file: fresh.configFile });
    } catch (err) {
      log.error(`reloading the configuration failed: ${(err as Error).message}`);
    }
  });
}

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`berthd: ${(err as Error).message}\n`);
    process.exit(errorKind(err) === 'InvalidArgument' ? 125 : 1);
  }
  if (config.version) {
    process.stdout.write(`berthd version ${ENGINE_VERSION}\n`);
    return;
  }
  if (config.help) {
    process.stdout.write(
      'Usage: berthd [--config-file FILE] [-H unix:///run/berth/berth.sock] [--data-root DIR] [--exec-root DIR]\n' +
        '              [--storage-driver overlay|vfs] [--log-level LEVEL] [--pidfile FILE]\n' +
        '              [--tlsverify --tlscacert CA --tlscert CERT --tlskey KEY]\n',
    );
    return;
  }
  try {
    await start(config);
  } catch (err) {
    process.stderr.write(`berthd: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

await main();
