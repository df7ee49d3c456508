// berthd: the daemon. Reads its configuration, takes the lock on its data root, serves the
// Engine API on its hosts, and shuts down cleanly on SIGTERM (SIGHUP reloads daemon.json).

import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { apiRouter, handler, upgradeHandler } from '../api/server/server.ts';
import { conflict, errorKind } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs.ts';
import { ENGINE_VERSION, Engine } from '../engine/engine.ts';
import { fsops, LOCK_EX, LOCK_NB } from '../storage/native.ts';
import { type DaemonConfig, loadConfig } from './config.ts';
import { type Listener, listen } from './listen.ts';
import { logger } from './log.ts';

/**
 * One daemon per data root: an exclusive flock on a root-only file inside it, released by the
 * kernel when the daemon dies (no stale lock after kill -9, nothing another user can hold).
 */
function lockDataRoot(dataRoot: string): { close(): void } {
  mkdirSync(dataRoot, { recursive: true, mode: 0o711 });
  const fd = openSync(join(dataRoot, 'berthd.lock'), 'a', 0o600);
  try {
    fsops().flock(fd, LOCK_EX | LOCK_NB);
  } catch (err) {
    closeSync(fd);
    if (
      (err as NodeJS.ErrnoException).code === 'EWOULDBLOCK' ||
      (err as NodeJS.ErrnoException).code === 'EAGAIN'
    ) {
      throw conflict(`another berthd is running with data root ${dataRoot}`);
    }
    throw err;
  }
  return { close: () => closeSync(fd) };
}

async function start(config: DaemonConfig): Promise<void> {
  const log = logger(config.logLevel);
  const lock = lockDataRoot(config.dataRoot);
  const engine = await Engine.create(config);
  const router = apiRouter(engine);
  const listeners: Listener[] = [];
  try {
    for (const host of config.hosts) {
      const l = await listen(
        host,
        config,
        handler(router, (line) => log.debug(line)),
      );
      l.server.on(
        'upgrade',
        upgradeHandler(router, (line) => log.debug(line)),
      );
      listeners.push(l);
    }
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
    engine.close();
    await Promise.all(listeners.map((l) => l.close()));
    rmSync(config.pidfile, { force: true });
    lock.close();
    process.exit(0);
  };
  // a stray rejection is a bug to log, not a reason to drop every client
  process.on('unhandledRejection', (err) =>
    log.error(`unhandled rejection: ${(err as Error)?.stack ?? err}`),
  );
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
