// Output of `list` and `ps` in runc's shapes.

import { execFileSync } from 'node:child_process';
import { invalidArgument } from '../../common/errors.ts';
import type { ContainerState } from '../runtime.ts';

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] + 4))).join(''))
    .join('\n');
}

export function printList(states: ContainerState[], format: string, quiet: boolean): void {
  if (quiet) {
    for (const s of states) process.stdout.write(`${s.id}\n`);
    return;
  }
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(states)}\n`);
    return;
  }
  if (format !== 'table') throw invalidArgument(`invalid format option "${format}"`);
  const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']];
  for (const s of states) rows.push([s.id, String(s.pid ?? 0), s.status, s.bundle, s.created, 'root']);
  process.stdout.write(`${table(rows)}\n`);
}

/** `ps`: json prints the pids; table runs ps(1) with the given arguments and keeps the container's lines. */
export function printPs(pids: number[], format: string, psArgs: string[]): number {
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(pids)}\n`);
    return 0;
  }
  if (format !== 'table') throw invalidArgument(`invalid format option "${format}"`);
  const out = execFileSync('ps', psArgs.length > 0 ? psArgs : ['-ef'], { encoding: 'utf8' });
  const [header, ...lines] = out.trimEnd().split('\n');
  const column = header.trim().split(/\s+/).indexOf('PID');
  if (column < 0) throw invalidArgument('ps output has no PID column');
  const wanted = new Set(pids);
  const kept = lines.filter((line) => wanted.has(Number(line.trim().split(/\s+/)[column])));
  process.stdout.write(`${[header, ...kept].join('\n')}\n`);
  return 0;
}
