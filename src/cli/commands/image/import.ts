// berth import / berth image import: a one-layer image from a root file system tarball.

import { createReadStream } from 'node:fs';
import type { CommandDef } from '../../command.ts';
import { splitTag } from '../../format/reference.ts';
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
    const { repo, tag } = ref ? splitTag(ref) : { repo: undefined, tag: undefined };
    const query = {
      fromSrc: '-',
      repo,
      tag,
      message: opts.message as string | undefined,
      changes: opts.change as string[],
    };
    return progressLines(
      ctx,
      client.stream('POST', '/images/create', {
        query,
        body,
        headers: { 'Content-Type': 'application/x-tar' },
      }),
    );
  },
};
