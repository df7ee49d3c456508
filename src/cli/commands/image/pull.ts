// berth pull / berth image pull: POST /images/create?fromImage=&tag=&platform= with the
// registry's credentials from config.json in X-Registry-Auth, progress as it streams.

import { DaemonError } from '../../../api/client/client.ts';
import { parseReference } from '../../../image/reference.ts';
import type { CommandDef } from '../../command.ts';
import { registryAuthHeader } from '../registry/auth.ts';
import { progressLines } from './progress.ts';
import { splitImage } from './push.ts';

export const pull: CommandDef = {
  path: ['image', 'pull'],
  aliases: [['pull']],
  summary: 'Download an image from a registry',
  usage: 'berth pull [OPTIONS] NAME[:TAG|@DIGEST]',
  args: { min: 1, max: 1 },
  flags: [
    {
      name: 'all-tags',
      short: 'a',
      type: 'bool',
      description: 'Download all tagged images in the repository',
    },
    { name: 'platform', type: 'string', description: 'Set platform if server is multi-platform capable' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
  ],
  async run(ctx, opts, [name]) {
    const status = await pullImage(ctx, name, {
      allTags: opts['all-tags'] === true,
      platform: (opts.platform as string) || undefined,
      quiet: opts.quiet === true,
      printReference: true,
    });
    return status;
  },
};

/** Pulls one reference (or every tag); prints the progress (unless quiet). */
export async function pullImage(
  ctx: Parameters<CommandDef['run']>[0],
  name: string,
  opts: {
    allTags?: boolean;
    platform?: string;
    quiet?: boolean;
    out?: NodeJS.WritableStream;
    throwErrors?: boolean;
    /** `docker pull` prints the reference it pulled at the end (run/create do not) */
    printReference?: boolean;
  },
): Promise<number> {
  const { repo, tag, digest, domain } = splitImage(name);
  const refused =
    refuseReference(name) ??
    (opts.allTags && (tag || digest) ? "tag can't be used with --all-tags/-a" : undefined);
  if (refused) {
    // the docker CLI checks the reference itself: its words, status 1
    if (opts.throwErrors) throw new DaemonError(400, refused);
    ctx.err.write(`${refused}\n`);
    return 1;
  }
  const client = await ctx.client();
  const out = opts.out ?? ctx.out;
  if (opts.printReference && !opts.allTags && !tag && !digest && !opts.quiet)
    out.write('Using default tag: latest\n');
  const status = await progressLines(
    { ...ctx, out },
    client.stream('POST', '/images/create', {
      query: {
        fromImage: repo,
        tag: opts.allTags ? undefined : (digest ?? tag ?? 'latest'),
        platform: opts.platform,
      },
      headers: { 'X-Registry-Auth': registryAuthHeader(domain) },
      signal: ctx.signal,
    }),
    { quiet: opts.quiet, throwErrors: opts.throwErrors },
  );
  if (status === 0 && opts.printReference) out.write(`${fullName(name, opts.allTags)}\n`);
  return status;
}

/** Why a name is not a reference the docker CLI would send (`invalid reference format: …`). */
export function refuseReference(name: string): string | undefined {
  try {
    parseReference(name);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** What `docker pull` prints last: the normalised reference (`host/x:1@sha256:…` as given). */
function fullName(name: string, allTags?: boolean): string {
  const { repo, tag, digest, domain } = splitImage(name);
  const path = repo.startsWith(`${domain}/`) ? repo.slice(domain.length + 1) : repo;
  const full =
    domain === 'docker.io' && !path.includes('/') ? `docker.io/library/${path}` : `${domain}/${path}`;
  if (digest) return `${full}${tag ? `:${tag}` : ''}@${digest}`;
  return allTags ? full : `${full}:${tag ?? 'latest'}`;
}

/**
 * `run`/`create --pull`: pulls the image (progress on stderr, as docker prints it) when `pull`
 * is `always`, or when `missing` and the create said "No such image"; `never` pulls nothing.
 */
export async function pullForCreate(
  ctx: Parameters<CommandDef['run']>[0],
  image: string,
  opts: { platform?: string; quiet: boolean },
): Promise<void> {
  await pullImage(ctx, image, {
    platform: opts.platform,
    quiet: opts.quiet,
    out: ctx.err,
    throwErrors: true,
  });
}
