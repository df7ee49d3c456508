// What several container commands share: the create call (with docker's "Unable to find image"
// line and warnings), the wait call, exit statuses from start errors, per-container loops that
// print errors and carry on as docker's stop/kill/rm do.

import { existsSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { type ApiClient, DaemonError } from '../../../api/client/client.ts';
import { BerthError } from '../../../common/errors.ts';
import { familiarString, parseNormalizedTagged } from '../../../image/reference.ts';
import type { CommandContext } from '../../command.ts';
import type { CreateRequest } from '../../opts/container.ts';
import { pullForCreate } from '../image/pull.ts';

export const cpath = (id: string, rest = '') => `/containers/${encodeURIComponent(id)}${rest}`;

/** A message the docker CLI prints as is (`Error: No such container: x`), exit status 1. */
export class CliError extends BerthError {
  readonly status: number;
  constructor(message: string, status = 1) {
    super('Internal', message);
    this.status = status;
  }
}

/** runStartContainerErr: 127 for a missing program, 126 for one that cannot run, else 125. */
export function startErrorStatus(message: string): number {
  if (
    /executable file not found|no such file or directory|system cannot find the file specified/.test(message)
  ) {
    return 127;
  }
  if (/permission denied|is a directory/.test(message)) return 126;
  return 125;
}

/** The image name docker prints in "Unable to find image 'busybox:latest' locally". */
export function familiarImage(image: string): string {
  try {
    return familiarString(parseNormalizedTagged(image));
  } catch {
    return image;
  }
}

export interface Created {
  Id: string;
  Warnings?: string[] | null;
}

/**
 * POST /containers/create; a missing image prints docker's "Unable to find image" line first
 * (pulling comes later). Writes --cidfile; prints the daemon's warnings.
 */
export async function createContainer(
  ctx: CommandContext,
  client: ApiClient,
  request: CreateRequest,
  opts: { cidfile: string; quiet: boolean; pull?: string },
): Promise<string> {
  const { cidfile } = opts;
  if (cidfile && existsSync(cidfile)) {
    throw new Error(
      `container ID file found, make sure the other container isn't running or delete ${cidfile}`,
    );
  }
  const pull = opts.pull ?? 'missing';
  if (!['always', 'missing', 'never'].includes(pull))
    throw new Error(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  const image = String(request.body.Image);
  const pullIt = () =>
    pullForCreate(ctx, image, { platform: request.platform || undefined, quiet: opts.quiet });
  const create = () =>
    client.json<Created>('POST', '/containers/create', {
      query: { name: request.name || undefined, platform: request.platform || undefined },
      body: request.body,
    });
  if (pull === 'always') await pullIt();
  let created: Created;
  try {
    created = await create();
  } catch (err) {
    if (!(err instanceof DaemonError && err.status === 404 && /no such image/i.test(err.message))) throw err;
    if (!opts.quiet) ctx.err.write(`Unable to find image '${familiarImage(image)}' locally\n`);
    if (pull !== 'missing') throw err;
    await pullIt();
    created = await create();
  }
  for (const w of created.Warnings ?? []) ctx.err.write(`WARNING: ${w}\n`);
  if (cidfile) writeFileSync(cidfile, created.Id);
  return created.Id;
}

/**
 * Starts POST /containers/{id}/wait and resolves once the daemon has answered with its headers
 * (so a start that follows cannot be missed); `status` then resolves with the exit code.
 */
export async function waitExitOrRemoved(
  ctx: CommandContext,
  client: ApiClient,
  id: string,
  removed: boolean,
): Promise<{ status: Promise<number>; cancel(): void }> {
  const controller = new AbortController();
  const res: IncomingMessage = await client.open('POST', cpath(id, '/wait'), {
    query: { condition: removed ? 'removed' : 'next-exit' },
    signal: controller.signal,
  });
  const status = (async () => {
    let text = '';
    try {
      for await (const chunk of res) text += chunk;
      const body = JSON.parse(text) as { StatusCode: number; Error?: { Message?: string } | null };
      if (body.Error?.Message) {
        ctx.err.write(`Error waiting for container: ${body.Error.Message}\n`);
        return 125;
      }
      return body.StatusCode;
    } catch (err) {
      if (controller.signal.aborted) return 0;
      ctx.err.write(`error waiting for container: ${(err as Error).message}\n`);
      return 125;
    }
  })();
  return { status, cancel: () => controller.abort() };
}

/**
 * Runs `op` for each container in order, printing each failure as docker does
 * (`Error response from daemon: …` or the message) and carrying on; status 1 if any failed.
 */
export async function forEachContainer(
  ctx: CommandContext,
  names: readonly string[],
  op: (name: string) => Promise<void>,
): Promise<number> {
  let status = 0;
  for (const name of names) {
    try {
      await op(name);
    } catch (err) {
      status = 1;
      ctx.err.write(`${errorText(err)}\n`);
    }
  }
  return status;
}

/** An error as the docker CLI prints it. */
export function errorText(err: unknown): string {
  if (err instanceof DaemonError) return `Error response from daemon: ${err.message}`;
  return (err as Error).message;
}

/** Whether a container is missing (for `Error: No such container: x`). */
export const isNotFound = (err: unknown) => err instanceof DaemonError && err.status === 404;

/** GET /containers/{id}/json, the fields the commands look at. */
export interface ContainerJSON {
  Id: string;
  Name: string;
  Config: { Tty: boolean; OpenStdin: boolean; AttachStdin?: boolean; StdinOnce?: boolean; Image?: string };
  State: { Running: boolean; Paused: boolean; Restarting: boolean; Status?: string; ExitCode?: number };
  HostConfig?: { AutoRemove?: boolean };
  NetworkSettings?: { Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> | null };
}

export function inspectContainer(client: ApiClient, id: string): Promise<ContainerJSON> {
  return client.json<ContainerJSON>('GET', cpath(id, '/json'));
}

/**
 * docker's parallelOperation loop: each name printed once its call succeeds, every failure
 * printed at the end (`Error response from daemon: …`); status 1 if any failed.
 */
export async function each(
  ctx: { out: NodeJS.WritableStream; err: NodeJS.WritableStream },
  names: readonly string[],
  op: (name: string) => Promise<unknown>,
): Promise<number> {
  const errors: string[] = [];
  for (const name of names) {
    try {
      await op(name);
      ctx.out.write(`${name}\n`);
    } catch (err) {
      errors.push(errorText(err));
    }
  }
  for (const e of errors) ctx.err.write(`${e}\n`);
  return errors.length ? 1 : 0;
}
