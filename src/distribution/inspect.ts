// GET /distribution/{name}/json: what the registry has under a reference, without pulling it:
// the descriptor of the manifest (or index) and the platforms it offers (an index's entries,
// or the os/architecture of a single manifest's config), as dockerd answers.

import type { Reference } from '../image/reference.ts';
import {
  type Descriptor,
  type Index,
  isIndexMediaType,
  type Manifest,
  type Platform,
} from '../image/types.ts';
import { repositoryScope } from './challenge.ts';
import { type RegistryClient, RegistryError, readAll } from './client.ts';
import { fetchManifest } from './pull.ts';

export interface DistributionInspect {
  Descriptor: Descriptor;
  Platforms: Platform[];
}

export async function inspectDistribution(
  client: RegistryClient,
  ref: Reference,
  signal?: AbortSignal,
): Promise<DistributionInspect> {
  const top = await fetchManifest(client, ref, ref.digest ?? ref.tag ?? 'latest', signal).catch((err) => {
    // dockerd says only what the registry said: `manifest unknown: manifest unknown`
    if (err instanceof RegistryError && err.status === 404)
      throw new RegistryError('NotFound', 404, err.detail, err.code);
    throw err;
  });
  const Descriptor: Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length };
  const Platforms: Platform[] = [];
  const parsed = JSON.parse(top.bytes.toString('utf8')) as Index & Manifest;
  if (isIndexMediaType(top.mediaType)) {
    for (const m of (parsed as Index).manifests ?? []) if (m.platform) Platforms.push(platformOf(m.platform));
  } else if (parsed.config?.digest) {
    // the config's os and architecture; a config that cannot be read leaves the list empty
    try {
      const res = await client.request('GET', `/v2/${ref.path}/blobs/${parsed.config.digest}`, {
        scopes: [repositoryScope(ref.path, ['pull'])],
        signal,
      });
      if (res.status === 200) {
        const config = JSON.parse((await readAll(res.body, 16 << 20)).toString('utf8')) as Partial<Platform>;
        if (config.os || config.architecture) Platforms.push(platformOf(config));
      } else res.body.resume();
    } catch {}
  }
  return { Descriptor, Platforms };
}

/** The OCI platform fields only, in their order, empty ones left out. */
function platformOf(p: Partial<Platform>): Platform {
  const out: Platform = { architecture: p.architecture ?? '', os: p.os ?? '' };
  if (p['os.version']) out['os.version'] = p['os.version'];
  if (p['os.features']?.length) out['os.features'] = p['os.features'];
  if (p.variant) out.variant = p.variant;
  return out;
}
