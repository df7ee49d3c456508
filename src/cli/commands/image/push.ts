// berth push / berth image push: POST /images/{name}/push?tag= with X-Registry-Auth.

import type { CommandDef } from '../../command.ts';
import { splitReference } from '../../format/reference.ts';
import { registryAuthHeader } from '../registry/auth.ts';
import { progressLines } from './progress.ts';
import { refuseReference } from './pull.ts';

/** `host:5000/a/b:tag@digest` → repo (no tag), tag, digest and registry domain; a name that is
 * not a reference goes to the daemon as it is, to be refused there in Docker's words. */
export function splitImage(name: string): { repo: string; tag?: string; digest?: string; domain: string } {
  const r = splitReference(name) ?? { name };
  const first = r.name.split('/')[0];
  const domain = r.name.includes('/') && (/[.:]/.test(first) || first === 'localhost') ? first : 'docker.io';
  return { repo: r.name, tag: r.tag, digest: r.digest, domain };
}

export const push: CommandDef = {
  path: ['image', 'push'],
  aliases: [['push']],
  summary: 'Upload an image to a registry',
  usage: 'berth push [OPTIONS] NAME[:TAG]',
  args: { min: 1, max: 1 },
  flags: [
    {
      name: 'all-tags',
      short: 'a',
      type: 'bool',
      description: 'Push all tags of an image to the repository',
    },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
    {
      name: 'compression',
      type: 'string',
      description: 'Compress layers stored uncompressed with "gzip" (default) or "zstd"',
    },
  ],
  async run(ctx, opts, [name]) {
    const { repo, tag, digest, domain } = splitImage(name);
    const all = opts['all-tags'] === true;
    const refused =
      refuseReference(name) ??
      (all && tag
        ? "tag can't be used with --all-tags/-a"
        : digest
          ? 'cannot push a digest reference'
          : opts.compression && !['gzip', 'zstd'].includes(opts.compression as string)
            ? `invalid compression "${opts.compression}": gzip or zstd`
            : undefined);
    if (refused) {
      ctx.err.write(`${refused}\n`);
      return 1;
    }
    const client = await ctx.client();
    if (!all && !tag && !opts.quiet) ctx.out.write('Using default tag: latest\n');
    const status = await progressLines(
      ctx,
      client.stream('POST', `/images/${encodeURIComponent(repo)}/push`, {
        query: {
          tag: all ? undefined : (tag ?? 'latest'),
          compression: (opts.compression as string) || undefined,
        },
        headers: { 'X-Registry-Auth': registryAuthHeader(domain) },
        signal: ctx.signal,
      }),
      { quiet: opts.quiet === true },
    );
    if (status === 0 && opts.quiet) ctx.out.write(`${name}\n`);
    return status;
  },
};
