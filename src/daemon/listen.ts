// berthd's listeners: unix sockets (root-only) and, only with client-certificate TLS, TCP.

import { chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:net';
import { dirname } from 'node:path';
import { conflict, invalidArgument } from '../common/errors.ts';
import { unixSocketAnswers } from '../common/socket.ts';
import type { DaemonConfig } from './config.ts';

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Listener {
  address: string;
  server: Server;
  close(): Promise<void>;
}

async function listenUnix(path: string, handler: RequestHandler): Promise<Listener> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  if (await unixSocketAnswers(path)) throw conflict(`another daemon is already listening on unix://${path}`);
  rmSync(path, { force: true });
  const server = createHttpServer({ requestTimeout: 0 }, handler);
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o660);
  return {
    address: `unix://${path}`,
    server,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        rmSync(path, { force: true });
      }),
  };
}

async function listenTcp(hostPort: string, config: DaemonConfig, handler: RequestHandler): Promise<Listener> {
  if (!config.tlsverify) {
    throw invalidArgument(
      `refusing to listen on tcp://${hostPort} without --tlsverify (client certificates)`,
    );
  }
  if (!config.tlscacert || !config.tlscert || !config.tlskey) {
    throw invalidArgument('--tlsverify needs --tlscacert, --tlscert and --tlskey');
  }
  const m = /^(.*):(\d+)$/.exec(hostPort);
  if (!m) throw invalidArgument(`invalid tcp address tcp://${hostPort}: want tcp://HOST:PORT`);
  const server = createHttpsServer(
    {
      ca: readFileSync(config.tlscacert),
      cert: readFileSync(config.tlscert),
      key: readFileSync(config.tlskey),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      // loads and imports stream for as long as they take
      requestTimeout: 0,
    },
    handler,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(m[2]), m[1] || '0.0.0.0', () => resolve());
  });
  return {
    address: `tcp://${hostPort}`,
    server,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function listen(host: string, config: DaemonConfig, handler: RequestHandler): Promise<Listener> {
  if (host.startsWith('unix://')) return listenUnix(host.slice('unix://'.length), handler);
  if (host.startsWith('tcp://')) return listenTcp(host.slice('tcp://'.length), config, handler);
  if (host.startsWith('/')) return listenUnix(host, handler);
  throw invalidArgument(`invalid host "${host}": want unix:///path or tcp://HOST:PORT`);
}
