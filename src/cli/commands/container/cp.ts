// berth cp / berth container cp: files between a container and the local filesystem (or a tar
// on stdin/stdout with `-`), with docker's rules for what lands where (archive.ts).

import { statSync } from 'node:fs';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ApiClient } from '../../../api/client/client.ts';
import type { CommandContext, CommandDef } from '../../command.ts';
import { humanSize } from '../../format/units.ts';
import {
  type CopyInfo,
  getRebaseName,
  isDirMode,
  isSymlinkMode,
  localDestinationInfo,
  localSourceInfo,
  outputModeProblem,
  type PathStat,
  prepareArchiveCopy,
  rebaseEntries,
  resolveLocalPath,
  splitPathDirEntry,
  tarResource,
  untar,
} from './archive.ts';
import { CliError, cpath } from './common.ts';

/** splitCpArg: `ctr:/path` → ['ctr', '/path']; absolute or `./x:y` paths are local. */
export function splitCpArg(arg: string): [string, string] {
  if (arg.startsWith('/')) return ['', arg];
  const colon = arg.indexOf(':');
  if (colon < 0 || arg.startsWith('.')) return ['', arg];
  return [arg.slice(0, colon), arg.slice(colon + 1)];
}

/** HEAD …/archive: the stat of a path in the container (undefined: it does not exist). */
async function statPath(client: ApiClient, container: string, path: string): Promise<PathStat | undefined> {
  const res = await client.raw('HEAD', cpath(container, '/archive'), { query: { path } });
  res.resume();
  if (res.statusCode === 404) return undefined;
  if ((res.statusCode ?? 500) >= 400) {
    // HEAD has no body: ask again with GET for the daemon's message.
    await client.request('GET', cpath(container, '/archive'), { query: { path } });
  }
  const header = res.headers['x-docker-container-path-stat'];
  if (typeof header !== 'string') return undefined;
  return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat;
}

/** ValidateOutputPath for a local destination. */
function validateOutputPath(path: string): void {
  const dir = posix.dirname(posix.normalize(path));
  if (dir !== '' && dir !== '.') {
    try {
      statSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new CliError(`invalid output path: directory ${JSON.stringify(dir)} does not exist`);
      }
    }
  }
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(path);
  } catch {
    return;
  }
  if (st.isDirectory() || st.isFile()) return;
  const what = st.isBlockDevice() || st.isCharacterDevice() ? 'got a device' : 'got an irregular file';
  throw new CliError(
    `invalid output path: ${JSON.stringify(path)} must be a directory or a regular file: ${what}`,
  );
}

async function* counted(source: AsyncIterable<Uint8Array>, count: { n: number }): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    count.n += chunk.length;
    yield chunk;
  }
}

interface CpOptions {
  container: string;
  src: string;
  dst: string;
  followLink: boolean;
  copyUIDGID: boolean;
  progress: boolean;
}

async function copyFromContainer(ctx: CommandContext, client: ApiClient, o: CpOptions): Promise<void> {
  const dstPath = o.dst === '-' ? '-' : resolveLocalPath(o.dst);
  validateOutputPath(dstPath);
  let srcPath = o.src;
  let rebaseName = '';
  if (o.followLink) {
    const st = await statPath(client, o.container, srcPath).catch(() => undefined);
    if (st && isSymlinkMode(st.mode)) {
      let target = st.linkTarget;
      if (!target.startsWith('/')) target = posix.join(splitPathDirEntry(srcPath)[0], target);
      [srcPath, rebaseName] = getRebaseName(srcPath, target);
    }
  }
  const res = await client.open('GET', cpath(o.container, '/archive'), { query: { path: srcPath } });
  if (dstPath === '-') {
    await pipeline(res, ctx.out);
    return;
  }
  const count = { n: 0 };
  try {
    const header = res.headers['x-docker-container-path-stat'];
    const stat =
      typeof header === 'string'
        ? (JSON.parse(Buffer.from(header, 'base64').toString()) as PathStat)
        : undefined;
    const src: CopyInfo = {
      path: srcPath,
      exists: true,
      isDir: stat ? isDirMode(stat.mode) : false,
      rebaseName,
    };
    let content: AsyncIterable<Uint8Array> = counted(res, count);
    if (rebaseName) content = rebaseEntries(content, splitPathDirEntry(src.path)[1], rebaseName);
    const dst = localDestinationInfo(dstPath);
    const copy = prepareArchiveCopy(src, dst);
    if (copy.rebase) content = rebaseEntries(content, copy.rebase[0], copy.rebase[1]);
    await untar(content, copy.dstDir);
  } finally {
    res.destroy();
  }
  if (o.progress) ctx.err.write(`Successfully copied ${humanSize(count.n)} to ${dstPath}\n`);
}

async function copyToContainer(ctx: CommandContext, client: ApiClient, o: CpOptions): Promise<void> {
  const srcPath = o.src === '-' ? '-' : resolveLocalPath(o.src);
  const dst: CopyInfo = { path: o.dst, exists: false, isDir: false, rebaseName: '' };
  const where = `${o.container}:${o.dst}`;
  // as the docker CLI: a failed stat (any error) is taken as a destination that does not exist;
  // the extraction then says what is wrong
  let st = await statPath(client, o.container, o.dst).catch(() => undefined);
  if (st && isSymlinkMode(st.mode)) {
    let target = st.linkTarget;
    if (!target.startsWith('/')) target = posix.join(splitPathDirEntry(o.dst)[0], target);
    dst.path = target;
    st = await statPath(client, o.container, target).catch(() => undefined);
  }
  if (st) {
    const problem = outputModeProblem(st.mode);
    if (problem)
      throw new CliError(`destination "${where}" must be a directory or a regular file: ${problem}`);
    dst.exists = true;
    dst.isDir = isDirMode(st.mode);
  }
  let content: AsyncIterable<Uint8Array>;
  let dstDir: string;
  if (srcPath === '-') {
    if (!dst.isDir) throw new CliError(`destination "${where}" must be a directory`);
    content = process.stdin;
    dstDir = dst.path;
  } else {
    const src = localSourceInfo(srcPath, o.followLink);
    const copy = prepareArchiveCopy(src, dst);
    content = tarResource(src);
    if (copy.rebase) content = rebaseEntries(content, copy.rebase[0], copy.rebase[1]);
    dstDir = copy.dstDir;
  }
  const count = { n: 0 };
  await client.request('PUT', cpath(o.container, '/archive'), {
    query: { path: dstDir, noOverwriteDirNonDir: 'true', copyUIDGID: o.copyUIDGID ? 'true' : undefined },
    body: Readable.from(counted(content, count)),
    headers: { 'Content-Type': 'application/x-tar' },
  });
  if (o.progress && srcPath !== '-') ctx.err.write(`Successfully copied ${humanSize(count.n)} to ${where}\n`);
}

export const cp: CommandDef = {
  path: ['container', 'cp'],
  aliases: [['cp']],
  summary: 'Copy files/folders between a container and the local filesystem',
  usage:
    'berth cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  args: { min: 2, max: 2 },
  flags: [
    { name: 'archive', short: 'a', type: 'bool', description: 'Archive mode (copy all uid/gid information)' },
    { name: 'follow-link', short: 'L', type: 'bool', description: 'Always follow symbol link in SRC_PATH' },
    {
      name: 'quiet',
      short: 'q',
      type: 'bool',
      description:
        'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached',
    },
  ],
  async run(ctx, opts, args) {
    if (args[0] === '') throw new CliError('source can not be empty');
    if (args[1] === '') throw new CliError('destination can not be empty');
    const [srcContainer, src] = splitCpArg(args[0]);
    const [dstContainer, dst] = splitCpArg(args[1]);
    if (srcContainer && dstContainer) throw new CliError('copying between containers is not supported');
    if (!srcContainer && !dstContainer) throw new CliError('must specify at least one container source');
    const o: CpOptions = {
      container: srcContainer || dstContainer,
      src,
      dst,
      followLink: opts['follow-link'] === true,
      copyUIDGID: opts.archive === true,
      progress: opts.quiet !== true && process.stderr.isTTY === true,
    };
    const client = await ctx.client();
    if (srcContainer) await copyFromContainer(ctx, client, o);
    else await copyToContainer(ctx, client, o);
    return 0;
  },
};
