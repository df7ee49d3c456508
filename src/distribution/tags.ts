// The tags of a repository (GET /v2/<name>/tags/list, following Link pagination).

import type { Reference } from '../image/reference.ts';
import { formatReference } from '../image/reference.ts';
import { repositoryScope } from './challenge.ts';
import { type RegistryClient, readAll, responseError } from './client.ts';

export async function listTags(
  client: RegistryClient,
  ref: Reference,
  signal?: AbortSignal,
): Promise<string[]> {
  const tags: string[] = [];
  let next: string | undefined = `/v2/${ref.path}/tags/list?n=1000`;
  for (let pages = 0; next && pages < 100; pages++) {
    const res = await client.request('GET', next, { scopes: [repositoryScope(ref.path, ['pull'])], signal });
    if (res.status !== 200)
      throw await responseError(res, `listing the tags of ${formatReference(ref)} on ${ref.domain}`);
    const body = JSON.parse((await readAll(res.body)).toString('utf8')) as { tags?: string[] | null };
    tags.push(...(body.tags ?? []));
    const link = /<([^>]+)>;\s*rel="?next"?/.exec(String(res.headers.link ?? ''));
    next = link?.[1];
  }
  return tags; // in the registry's order, as dockerd pulls them
}
