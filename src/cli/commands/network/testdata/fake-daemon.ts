// A fake Engine API on a unix socket for the network command tests: records every request
// (method, path without the /vX.Y prefix, query, JSON body) and answers from a routing function.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

export type Answer = { status: number; body?: unknown };

export interface FakeDaemon {
  socket: string;
  requests: Recorded[];
  close(): Promise<void>;
}

export async function fakeDaemon(route: (r: Recorded) => Answer): Promise<FakeDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-net-'));
  const socket = join(dir, 'docker.sock');
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname.replace(/^\/v\d+\.\d+/, '');
      if (path === '/_ping') {
        res.writeHead(200, { 'Api-Version': '1.45', Ostype: 'linux' });
        res.end(req.method === 'HEAD' ? undefined : 'OK');
        return;
      }
      const r: Recorded = {
        method: req.method ?? '',
        path,
        query: Object.fromEntries(url.searchParams),
        body: text ? JSON.parse(text) : undefined,
      };
      requests.push(r);
      const answer = route(r);
      res.writeHead(answer.status, { 'Content-Type': 'application/json' });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    socket,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

/** Runs a CLI (the real `docker`, or bin/berth) against the fake daemon. */
export function runCli(
  program: string,
  socket: string,
  args: readonly string[],
  stdin = '',
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const home = mkdtempSync(join(tmpdir(), 'berth-net-home-'));
    const child = spawn(program, args, {
      env: { PATH: process.env.PATH ?? '', HOME: home, DOCKER_HOST: `unix://${socket}` },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(stdin);
    child.on('error', () => resolve({ status: 127, stdout, stderr: `${program} not found` }));
    child.on('close', (code) => {
      rmSync(home, { recursive: true, force: true });
      resolve({ status: code ?? 128, stdout, stderr });
    });
  });
}
