// Where the checkout is: native/build holds the C programs berth runs. Found by walking up from
// this module, so it holds both from src/ (…/src/common) and from an esbuild bundle
// (…/build/daemon), whatever the depth of the caller.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

let root: string | undefined;

function find(): string {
  for (let dir = import.meta.dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'native')) && existsSync(join(dir, 'package.json'))) return dir;
  }
  return join(import.meta.dirname, '..', '..');
}

export function checkoutRoot(): string {
  root ??= find();
  return root;
}

/** A program or module built by `make -C native`. */
export const nativeBuild = (name: string) => join(checkoutRoot(), 'native', 'build', name);
