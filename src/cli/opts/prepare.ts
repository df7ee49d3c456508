// From the words after `create`/`run` to a create request, or to what docker prints when they are
// wrong (and with which exit status): flag errors with the usage (125), a missing IMAGE (1),
// other errors as `berth: <message>` (125). No daemon is involved.

import { buildCreateRequest, type CreateRequest, detachBody } from './container.ts';
import { containerFlags, type FlagEnv, runFlags } from './container-flags.ts';
import {
  argCountText,
  commandErrorText,
  FlagError,
  flagErrorText,
  helpText,
  type OptDef,
  type Parsed,
  parseArgv,
} from './flags.ts';

export const CREATE_USAGE = 'berth create [OPTIONS] IMAGE [COMMAND] [ARG...]';
export const RUN_USAGE = 'berth run [OPTIONS] IMAGE [COMMAND] [ARG...]';
export const CREATE_SUMMARY = 'Create a new container';
export const RUN_SUMMARY = 'Create and run a new container from an image';

export interface PrepareEnv extends FlagEnv {
  consoleSize?: [number, number];
}

export type Prepared =
  | { ok: true; request: CreateRequest; parsed: Parsed }
  | { ok: false; status: number; stdout?: string; stderr?: string };

export function commandFlags(command: 'create' | 'run', env: FlagEnv): OptDef[] {
  return command === 'run' ? runFlags(env) : containerFlags(env);
}

export function prepareContainer(
  command: 'create' | 'run',
  words: readonly string[],
  env: PrepareEnv,
): Prepared {
  const usage = command === 'run' ? RUN_USAGE : CREATE_USAGE;
  const flags = commandFlags(command, env);
  let parsed: Parsed;
  try {
    parsed = parseArgv(words, flags);
  } catch (err) {
    if (err instanceof FlagError)
      return { ok: false, status: 125, stderr: flagErrorText(usage, err.message) };
    throw err;
  }
  if (parsed.opts.help === true) {
    const summary = command === 'run' ? RUN_SUMMARY : CREATE_SUMMARY;
    return { ok: false, status: 0, stdout: helpText({ usage, summary, flags }) };
  }
  if (parsed.args.length < 1) return { ok: false, status: 1, stderr: argCountText(usage, 1) };
  let request: CreateRequest;
  try {
    request = buildCreateRequest(parsed, env);
  } catch (err) {
    return { ok: false, status: 125, stderr: commandErrorText(usage, (err as Error).message) };
  }
  if (command === 'run' && parsed.opts.detach === true) {
    if ((parsed.opts.attach as string[]).length > 0) {
      return {
        ok: false,
        status: 1,
        stderr: 'conflicting options: cannot specify both --attach and --detach\n',
      };
    }
    detachBody(request.body);
  }
  return { ok: true, request, parsed };
}
