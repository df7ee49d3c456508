// A console-socket receiver for tests: python3 accepts one connection on a unix socket, takes
// the pty master sent over SCM_RIGHTS (Node cannot receive fds), prints `ready`, then
// `name <payload>`, then everything the container writes to the pty.

import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

const SCRIPT = `
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
print('ready', flush=True)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 256, 1)
print('name', msg.decode(), flush=True)
while True:
    try:
        chunk = os.read(fds[0], 4096)
    except OSError:
        break
    if not chunk:
        break
    sys.stdout.write(chunk.decode())
sys.stdout.flush()
`;

export interface PtyReceiver {
  process: ChildProcessByStdio<null, Readable, null>;
  /** everything printed so far */
  output(): string;
  /** resolves once the socket listens */
  ready: Promise<void>;
  /** resolves with the whole output once the pty closes */
  done: Promise<string>;
}

export function ptyReceiver(socketPath: string): PtyReceiver {
  const child = spawn('python3', ['-c', SCRIPT, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  let got = '';
  const ready = new Promise<void>((resolve) => {
    child.stdout.on('data', (d) => {
      got += d;
      if (got.startsWith('ready')) resolve();
    });
  });
  const done = new Promise<string>((resolve) => child.on('close', () => resolve(got)));
  return { process: child, output: () => got, ready, done };
}
