// berth commit / berth container commit: a new image from a container's changes.

import { formatReference, parseReference } from '../../../image/reference.ts';
import type { CommandDef } from '../../command.ts';
import { CliError } from './common.ts';

/** The repo and tag query values for `[REPOSITORY[:TAG]]`, normalised as docker's client does. */
export function commitReference(ref: string | undefined): { repo: string; tag: string } {
  if (!ref) return { repo: '', tag: '' };
  let parsed: ReturnType<typeof parseReference>;
  try {
    parsed = parseReference(ref);
  } catch (err) {
    throw new CliError(
      `invalid reference format: ${(err as Error).message.replace(/^invalid reference format: /, '')}`,
    );
  }
  if (parsed.digest) throw new CliError('refusing to create a tag with a digest reference');
  const tag = parsed.tag ?? 'latest';
  return { repo: formatReference({ ...parsed, tag: undefined }), tag };
}

export const commit: CommandDef = {
  path: ['container', 'commit'],
  aliases: [['commit']],
  summary: "Create a new image from a container's changes",
  usage: 'berth commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  args: { min: 1, max: 2 },
  flags: [
    {
      name: 'author',
      short: 'a',
      type: 'string',
      description: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")',
    },
    {
      name: 'change',
      short: 'c',
      type: 'list',
      description: 'Apply Dockerfile instruction to the created image',
    },
    { name: 'message', short: 'm', type: 'string', description: 'Commit message' },
    { name: 'pause', short: 'p', type: 'bool', description: 'Pause container during commit', default: true },
  ],
  async run(ctx, opts, args) {
    const { repo, tag } = commitReference(args[1]);
    const client = await ctx.client();
    const changes = opts.change as string[];
    const res = await client.json<{ Id: string }>('POST', '/commit', {
      query: {
        author: (opts.author as string) ?? '',
        changes: changes.length ? changes : undefined,
        comment: (opts.message as string) ?? '',
        container: args[0],
        pause: opts.pause === false ? 0 : undefined,
        repo,
        tag,
      },
    });
    ctx.out.write(`${res.Id}\n`);
    return 0;
  },
};
