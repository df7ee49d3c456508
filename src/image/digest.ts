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

/** ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)). */
export function chainId(diffIds: readonly Digest[]): Digest {
  if (diffIds.length === 0) throw invalidArgument('chain ID of an empty layer list');
  let chain = diffIds[0];
  for (let i = 1; i < diffIds.length; i++) chain = sha256(`${chain} ${diffIds[i]}`);
  return chain;
}

/** The ChainIDs of every prefix: chainIds([a, b]) = [chainId([a]), chainId([a, b])]. */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) out.push(out.length === 0 ? d : sha256(`${out[out.length - 1]} ${d}`));
  return out;
}

/** The 12-hex short ID `docker images` shows (stringid.TruncateID). */
export function shortId(id: string): string {
  return digestHex(id).slice(0, 12);
}
