// The `X-Docker-Container-Path-Stat` header of the archive endpoints (docker cp), and Go's
// os.FileMode bits its `mode` is written in.

/** The header's JSON (base64-encoded on the wire). */
export interface PathStat {
  name: string;
  size: number;
  /** Go's os.FileMode bits. */
  mode: number;
  /** RFC 3339 with nanoseconds, as Go writes a time.Time. */
  mtime: string;
  linkTarget: string;
}

export const MODE_DIR = 2 ** 31;
export const MODE_SYMLINK = 2 ** 27;
export const MODE_DEVICE = 2 ** 26;
export const MODE_NAMED_PIPE = 2 ** 25;
export const MODE_SOCKET = 2 ** 24;
export const MODE_SETUID = 2 ** 23;
export const MODE_SETGID = 2 ** 22;
export const MODE_CHAR_DEVICE = 2 ** 21;
export const MODE_STICKY = 2 ** 20;
export const MODE_IRREGULAR = 2 ** 19;

/** Whether a FileMode has a bit (they go above 2^31, past JavaScript's bitwise operators). */
export const hasModeBit = (mode: number, bit: number) => Math.floor(mode / bit) % 2 === 1;

const S_IFMT = 0o170000;
const TYPE_BITS = new Map<number, number>([
  [0o040000, MODE_DIR],
  [0o120000, MODE_SYMLINK],
  [0o060000, MODE_DEVICE],
  [0o020000, MODE_DEVICE + MODE_CHAR_DEVICE],
  [0o010000, MODE_NAMED_PIPE],
  [0o140000, MODE_SOCKET],
]);

/** st_mode as Go's os.FileMode: permission bits, type bits, setuid, setgid, sticky. */
export function goFileMode(mode: number): number {
  let out = (mode & 0o777) + (TYPE_BITS.get(mode & S_IFMT) ?? 0);
  if (mode & 0o4000) out += MODE_SETUID;
  if (mode & 0o2000) out += MODE_SETGID;
  if (mode & 0o1000) out += MODE_STICKY;
  return out;
}
