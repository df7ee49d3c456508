// sha256 digests, image IDs and layer ChainIDs (OCI image spec, "Layer ChainID").

import { createHash } from 'node:crypto';
import { invalidArgument } from '../common/errors.ts';

/** `sha256:` followed by 64 lowercase hex digits. */
export type Digest = string;

const SHA256 = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: string): boolean {
  return SHA256.test(s);
}

/** Throws InvalidArgument unless `s` is a sha256 digest. */
export function validateDigest(s: string): Digest {
  if (!s.startsWith('sha256:')) {
    if (/^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:/.test(s))
      throw invalidArgument(`unsupported digest algorithm: ${s}`);
    throw invalidArgument(`invalid checksum digest format: ${s}`);
  }
  if (s.length !== 71) throw invalidArgument(`invalid checksum digest length: ${s}`);
  if (!SHA256.test(s)) throw invalidArgument(`invalid checksum digest format: ${s}`);
  return s;
}

/** The hex part of a digest. */
export function digestHex(d: Digest): string {
  return d.startsWith('sha256:') ? d.slice(7) : d;
}

export function sha256(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

// ChainIDs are computed by the storage layer, which names its snapshots by them.
export { chainId, chainIds } from '../storage/digest.ts';

/** The 12-hex short ID `docker images` shows (stringid.TruncateID). */
export function shortId(id: string): string {
  return digestHex(id).slice(0, 12);
}
