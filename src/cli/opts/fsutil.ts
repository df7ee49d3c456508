// Go's texts for file errors (`open x: no such file or directory`), which docker prints as is.

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EPERM: 'operation not permitted',
  ELOOP: 'too many levels of symbolic links',
  EEXIST: 'file exists',
  ENOSPC: 'no space left on device',
};

export function errnoText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return (code && ERRNO_TEXT[code]) ?? (err as Error).message;
}

/** `open <path>: <reason>`, as Go's *PathError prints. */
export function goFsError(op: string, path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const shownOp = code === 'EISDIR' && op === 'open' ? 'read' : op;
  return new Error(`${shownOp} ${path}: ${errnoText(err)}`, { cause: err });
}
