// berth push / berth image push: POST /images/{name}/push?tag= with X-Registry-Auth.

import type { CommandDef } from '../../command.ts';
import { registryAuthHeader } from '../registry/auth.ts';
import { progressLines } from './progress.ts';

/** `host:5000/a/b:tag@digest` → repo (as written, no tag), tag, digest and registry domain. */
export function splitImage(name: string): { repo: string; tag?: string; digest?: string; domain: string } {
  let rest = name;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  const domain = first && (/[.:]/.test(first) || first === 'localhost') ? first : 'docker.io';
  return { repo: rest, tag, digest, domain };
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
  ],
  async run(ctx, opts, [name]) {
    const { repo, tag, digest, domain } = splitImage(name);
    const all = opts['all-tags'] === true;
    if (all && tag) throw new Error("tag can't be used with --all-tags/-a");
    if (digest) throw new Error(`cannot push a digest reference: ${name}`);
    const client = await ctx.client();
    const status = await progressLines(
      ctx,
      client.stream('POST', `/images/${encodeURIComponent(repo)}/push`, {
        query: { tag: all ? undefined : (tag ?? 'latest') },
        headers: { 'X-Registry-Auth': registryAuthHeader(domain) },
        signal: ctx.signal,
      }),
      { quiet: opts.quiet === true },
    );
    if (status === 0 && opts.quiet) ctx.out.write(`${name}\n`);
    return status;
  },
};
