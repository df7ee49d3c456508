// Test helpers: tar building, a fake snapshotter and throwaway stores.

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../image-store.ts';
import { decompress } from './compression.ts';
import type { UnpackLayer } from './layers.ts';
import { type TarWriteEntry, writeTar } from './tar.ts';

export async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of stream) out.push(Buffer.from(c));
  return Buffer.concat(out);
}

export function tar(entries: TarWriteEntry[]): Promise<Buffer> {
  return collect(writeTar(entries));
}

/** A layer tar holding the given files. */
export function layerTar(files: Record<string, string>): Promise<Buffer> {
  return tar(Object.entries(files).map(([name, body]) => ({ name, body })));
}

/** Raw tar bytes for one entry with any name and type (for hostile archives). */
export function rawEntry(name: string, typeflag: string, body = '', linkname = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${Buffer.byteLength(body).toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write(typeflag, 156);
  h.write(linkname, 157, 100);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const data = Buffer.from(body);
  return Buffer.concat([h, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

export const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface FakeSnapshotter {
  unpackLayer: UnpackLayer;
  hasLayer: (chainId: string) => boolean;
  layers: Map<string, { parent?: string; diffId: string }>;
  calls: string[];
}

/**
 * Decompresses and hashes each layer stream; "commits" only when it ends cleanly and hashes to the expected
 * DiffID, like a real snapshotter (which would also throw; this one reports what it saw).
 */
export function fakeSnapshotter(): FakeSnapshotter {
  const layers = new Map<string, { parent?: string; diffId: string }>();
  const calls: string[] = [];
  const unpackLayer: UnpackLayer = async (chainId, parent, stream, expected) => {
    calls.push(chainId);
    const data = await collect((await decompress(stream)).stream);
    const diffId = sha(data);
    if (diffId === expected) layers.set(chainId, { parent, diffId });
    return { diffId, size: data.length * 2, tarSize: data.length };
  };
  return { unpackLayer, hasLayer: (c) => layers.has(c), layers, calls };
}

const roots: string[] = [];
export async function tempStore(): Promise<ImageStore> {
  const root = mkdtempSync(join(tmpdir(), 'berth-archive-'));
  roots.push(root);
  return ImageStore.open(root);
}
export function cleanupStores(): void {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
}
