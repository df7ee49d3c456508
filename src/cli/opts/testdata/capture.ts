// Regenerates create-bodies.golden.json: runs the docker CLI (28, on the PATH) against a fake
// daemon that records the body of POST /containers/create and answers 400, for every case in
// cases.ts. `node src/cli/opts/testdata/capture.ts` (needs `docker`); review the diff.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CASES, type CaptureResult } from './cases.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-capture-'));
const socket = join(dir, 'docker.sock');
let last = undefined as { url: string; body: string } | undefined;

const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    if (req.url?.endsWith('/_ping')) {
      res.writeHead(200, { 'Api-Version': '1.45', Ostype: 'linux' });
      res.end('OK');
      return;
    }
    if (req.method === 'POST' && req.url?.includes('/containers/create')) last = { url: req.url, body };
    res.writeHead(400, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ message: 'captured' }));
  });
});
await new Promise<void>((resolve) => server.listen(socket, resolve));

function docker(args: string[], env: Record<string, string>): Promise<{ status: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('docker', args, {
      cwd: import.meta.dirname,
      env: { PATH: process.env.PATH ?? '', HOME: dir, DOCKER_HOST: `unix://${socket}`, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ status: code ?? 128, stderr }));
  });
}

const results: Record<string, CaptureResult> = {};
for (const c of CASES) {
  last = undefined;
  const { status, stderr } = await docker([c.command ?? 'create', ...c.args], c.env ?? {});
  const captured = last as { url: string; body: string } | undefined;
  if (captured) {
    const url = new URL(captured.url, 'http://x');
    results[c.name] = { query: Object.fromEntries(url.searchParams), body: JSON.parse(captured.body) };
  } else results[c.name] = { status, stderr };
}
server.close();
rmSync(dir, { recursive: true, force: true });
// Paths under this directory (relative -v and --mount sources) are written as $TESTDATA.
const text = JSON.stringify(results, null, 1).replaceAll(import.meta.dirname, '$TESTDATA');
writeFileSync(join(import.meta.dirname, 'create-bodies.golden.json'), `${text}\n`);
console.log(`${CASES.length} cases captured`);
