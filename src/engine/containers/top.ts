// `GET /containers/{id}/top?ps_args=`, as dockerd does it: run the host's ps with the client's
// arguments (default -ef) plus `-q<pids>` (retried without it, since some options refuse -q),
// find the columns from the header and keep the rows whose PID is one of the container's.
// Errors carry dockerd's messages; dockerd answers them all with 500.

import { type ExecFileException, execFile } from 'node:child_process';
import { internal } from '../../common/errors.ts';

/** The body of a top response. */
export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

const NO_HEADERS = new Set([
  '--no-header',
  '--no-headers',
  '--no-heading',
  '--no-headings',
  '--noheader',
  '--noheaders',
  '--noheading',
  '--noheadings',
]);

/**
 * Refuses arguments that would let ps print another column titled PID (`-o user=PID`), and the
 * options that drop the header. `psArgs` is the query string value; '' means `-ef`.
 */
export function psArgv(psArgs: string): string[] {
  const args = psArgs === '' ? '-ef' : psArgs;
  for (const m of args.matchAll(/[\t\n\f\r ]+([^\t\n\f\r ]*)=[\t\n\f\r ]*(PID[^\t\n\f\r ]*)/g)) {
    if (m[1] !== 'pid') throw internal(`specifying "${m[1]}=${m[2]}" is not allowed`);
  }
  // dockerd splits on single spaces, empty arguments included.
  const argv = args.split(' ');
  for (const arg of argv) if (NO_HEADERS.has(arg)) throw internal(`option ${arg} is not allowed`);
  return argv;
}

/** `-q1,2,3`: ps's quick selection of the container's pids. */
export const psPidsArg = (pids: readonly number[]): string => `-q${pids.join(',')}`;

// Go's unicode.IsSpace on a single byte (dockerd looks at bytes when it finds the columns).
const isSpaceByte = (c: number): boolean =>
  c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0;
const ASCII_SPACE = /[\t\n\f\r ]+/;
const trimAscii = (s: string): string => s.replace(/^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g, '');

/**
 * Parses ps output: the titles are the header's words; a column starts at the nearest position
 * left of its title where every row has a blank (so values wider than their title, such as a
 * command with spaces in a CMD column before PID, stay whole); the last column takes the rest of
 * the line. Rows whose PID is in `pids` are kept, and thread rows (PID `-`, from `-L`/`m`) that
 * follow a kept row. Works on bytes, as dockerd does.
 */
export function parsePsOutput(output: Buffer | string, pids: Iterable<number>): TopResult {
  const text =
    typeof output === 'string' ? Buffer.from(output).toString('latin1') : output.toString('latin1');
  const utf8 = (s: string) => Buffer.from(s, 'latin1').toString('utf8');
  const lines = text.split('\n');
  const header = lines[0];
  const rows = lines.slice(1);
  const titles = header.split(ASCII_SPACE).filter(Boolean);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw internal("Couldn't find PID field in ps output");

  const tokens = [...header.matchAll(/[^\t\n\f\r ]+/g)].map((m) => ({
    start: m.index,
    end: m.index + m[0].length,
  }));
  const starts = tokens.map((t) => t.start);
  starts[0] = 0;
  const blankInEveryRow = (pos: number) =>
    rows.every((row) => row.length <= pos || isSpaceByte(row.charCodeAt(pos)));
  for (let i = 1; i < tokens.length; i++) {
    for (let pos = tokens[i].start - 1; pos >= tokens[i - 1].end; pos--) {
      if (blankInEveryRow(pos)) {
        starts[i] = pos;
        break;
      }
    }
  }

  const wanted = new Set(pids);
  const processes: string[][] = [];
  let afterKept = false;
  for (const row of rows) {
    if (row.length === 0) continue;
    const fields = starts.map((start, i) => utf8(trimAscii(row.slice(start, starts[i + 1] ?? row.length))));
    const pidField = fields[pidIndex];
    if (pidField === '-') {
      if (afterKept) processes.push(fields);
      continue;
    }
    const pid = parseGoInt(pidField);
    afterKept = wanted.has(pid);
    if (afterKept) processes.push(fields);
  }
  return { Titles: titles.map(utf8), Processes: processes };
}

function parseGoInt(s: string): number {
  if (!/^[+-]?\d+$/.test(s))
    throw internal(`Unexpected pid '${s}': strconv.Atoi: parsing "${s}": invalid syntax`);
  const n = Number(s);
  if (!Number.isSafeInteger(n))
    throw internal(`Unexpected pid '${s}': strconv.Atoi: parsing "${s}": value out of range`);
  return n;
}

interface PsRun {
  stdout: Buffer;
  stderr: Buffer;
  error?: ExecFileException;
}

function runPs(ps: string, argv: string[], signal?: AbortSignal): Promise<PsRun> {
  return new Promise((resolve) => {
    execFile(
      ps,
      argv,
      { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024, signal },
      (error, stdout, stderr) => resolve({ stdout, stderr, error: error ?? undefined }),
    );
  });
}

export interface TopOptions {
  /** the ps program (default `ps`, from PATH) */
  ps?: string;
  signal?: AbortSignal;
}

/**
 * Runs ps for a running container whose processes are `pids` (from its cgroup) and returns
 * the rows of those processes. `psArgs` is the `ps_args` query value ('' = `-ef`).
 */
export async function containerTop(
  pids: readonly number[],
  psArgs = '',
  options: TopOptions = {},
): Promise<TopResult> {
  const argv = psArgv(psArgs);
  const ps = options.ps ?? 'ps';
  let run = await runPs(ps, [...argv, psPidsArg(pids)], options.signal);
  if (run.error) run = await runPs(ps, argv, options.signal);
  if (run.error) {
    if (options.signal?.aborted) throw options.signal.reason;
    const first = run.stderr.toString('utf8').split('\n')[0];
    throw internal(`ps: ${first || describeExecError(ps, run.error)}`, run.error);
  }
  return parsePsOutput(run.stdout, pids);
}

function describeExecError(ps: string, err: ExecFileException): string {
  if (err.code === 'ENOENT') return `exec: "${ps}": executable file not found in $PATH`;
  if (typeof err.code === 'number') return `exit status ${err.code}`;
  return err.message;
}
