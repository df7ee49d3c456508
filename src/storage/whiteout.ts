// Whiteouts in their two forms. In a layer tar (the AUFS convention the image spec adopted):
// `.wh.<name>` deletes <name> from the layers below, `.wh..wh..opq` in a directory hides
// everything below it. On disk for overlayfs: a 0/0 character device named <name>, and the
// xattr trusted.overlay.opaque=y on the directory.

import type { BigIntStats, Stats } from 'node:fs';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const OPAQUE_XATTR = 'trusted.overlay.opaque';
/** overlayfs's private xattrs: never taken from a tar, never written into one. */
export const OVERLAY_XATTR_PREFIX = 'trusted.overlay.';

export function isWhiteoutDevice(st: Stats | BigIntStats): boolean {
  return st.isCharacterDevice() && Number(st.rdev) === 0;
}
