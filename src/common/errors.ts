// One error catalogue for all of berth (HABITS.md 2). Core code throws BerthError with a kind;
// the API maps kinds to HTTP statuses and the CLIs to exit statuses. Messages name the input
// that was wrong: `no such container: foo`.

export type ErrorKind =
  | 'NotFound'
  | 'InvalidArgument'
  | 'Conflict'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotImplemented'
  | 'Unavailable'
  | 'NotModified'
  | 'Internal';

const STATUS: Record<ErrorKind, number> = {
  NotFound: 404,
  InvalidArgument: 400,
  Conflict: 409,
  Unauthorized: 401,
  Forbidden: 403,
  NotImplemented: 501,
  Unavailable: 503,
  NotModified: 304,
  Internal: 500,
};

export class BerthError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BerthError';
    this.kind = kind;
  }
}

export const notFound = (message: string, cause?: unknown) => new BerthError('NotFound', message, { cause });
export const invalidArgument = (message: string, cause?: unknown) =>
  new BerthError('InvalidArgument', message, { cause });
export const conflict = (message: string, cause?: unknown) => new BerthError('Conflict', message, { cause });
export const forbidden = (message: string, cause?: unknown) =>
  new BerthError('Forbidden', message, { cause });
export const notImplemented = (message: string, cause?: unknown) =>
  new BerthError('NotImplemented', message, { cause });
export const unavailable = (message: string, cause?: unknown) =>
  new BerthError('Unavailable', message, { cause });
/** Nothing to do (start of a running container, stop of a stopped one): HTTP 304, no body. */
export const notModified = (message: string) => new BerthError('NotModified', message);
export const internal = (message: string, cause?: unknown) => new BerthError('Internal', message, { cause });

/** `err` with `prefix` before its message, of the same kind (an error of no kind as it is). */
export function prefixed(err: unknown, prefix: string): unknown {
  return err instanceof BerthError
    ? new BerthError(err.kind, `${prefix}${err.message}`, { cause: err })
    : err;
}

export function errorKind(err: unknown): ErrorKind {
  return err instanceof BerthError ? err.kind : 'Internal';
}

export function httpStatus(err: unknown): number {
  return STATUS[errorKind(err)];
}

/** The JSON body Docker clients print as `Error response from daemon: <message>`. */
export function errorBody(err: unknown): { message: string } {
  return { message: err instanceof Error ? err.message : String(err) };
}
