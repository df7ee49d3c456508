// Layer identities (OCI image spec, config.md): the DiffID is the digest of a layer's
// uncompressed tar; the ChainID names a layer together with everything below it.

import { createHash } from 'node:crypto';
import { invalidArgument } from '../common/errors.ts';

/** ChainID(L0) = DiffID(L0); ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(Ln)). */
export function chainIdOf(parent: string | undefined, diffId: string): string {
  if (parent === undefined) return diffId;
  return `sha256:${createHash('sha256').update(`${parent} ${diffId}`).digest('hex')}`;
}

/** The ChainID of a whole stack of DiffIDs, bottom first. */
export function chainId(diffIds: readonly string[]): string {
  let id: string | undefined;
  for (const d of diffIds) id = chainIdOf(id, d);
  if (id === undefined) throw invalidArgument('chain ID of an empty layer list');
  return id;
}

/** Every ChainID along the stack: [ChainID(L0), ChainID(L0..1), …]. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(chainIdOf(out.at(-1), d));
  return out;
}
