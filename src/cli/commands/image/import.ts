// berth import / berth image import: a one-layer image from a root file system tarball.

import { createReadStream } from 'node:fs';
import type { CommandDef } from '../../command.ts';
import { progressLines } from './progress.ts';

export const importCmd: CommandDef = {
  path: ['image', 'import'],
  aliases: [['import']],
  summary: 'Import the contents from a tarball to create a filesystem image',
  usage: 'berth import [OPTIONS] file|- [REPOSITORY[:TAG]]',
  args: { min: 1, max: 2 },
  flags: [
    {
      name: 'change',
      short: 'c',
      type: 'list',
      description: 'Apply Dockerfile instruction to the created image',
    },
    { name: 'message', short: 'm', type: 'string', description: 'Set commit message for imported image' },
    { name: 'platform', type: 'string', description: 'Set platform if server is multi-platform capable' },
  ],
  async run(ctx, opts, [file, ref]) {
    const client = await ctx.client();
    const body = file === '-' ? process.stdin : createReadStream(file);
    let repo: string | undefined;
    let tag: string | undefined;
    if (ref) {
      const at = ref.lastIndexOf(':');
      [repo, tag] = at > ref.lastIndexOf('/') ? [ref.slice(0, at), ref.slice(at + 1)] : [ref, undefined];
    }
    const query: Record<string, string | undefined> = {
      fromSrc: '-',
      repo,
      tag,
      message: opts.message as string | undefined,
    };
    const changes = (opts.change as string[]).map((c) => `changes=${encodeURIComponent(c)}`).join('&');
    const path = changes ? `/images/create?${changes}` : '/images/create';
    return progressLines(
      ctx,
      client.stream('POST', path, { query, body, headers: { 'Content-Type': 'application/x-tar' } }),
    );
  },
};
