// Hooks as plan steps: the state document a hook reads on stdin, split around the pid that
// only the interpreter knows.

import type { Hook, Spec } from '../spec/oci.ts';
import type { HookStep } from './types.ts';

export type HookName =
  | 'prestart'
  | 'createRuntime'
  | 'createContainer'
  | 'startContainer'
  | 'poststart'
  | 'poststop';

export interface StateInfo {
  id: string;
  bundle: string;
  ociVersion: string;
  annotations?: Record<string, string>;
}

/** The OCI state JSON with the pid left out: prefix + pid + suffix is the whole document. */
export function stateAround(info: StateInfo, status: string): { prefix: string; suffix: string } {
  const head = JSON.stringify({ ociVersion: info.ociVersion, id: info.id, status });
  const tail = JSON.stringify({ bundle: info.bundle, annotations: info.annotations ?? {} });
  return { prefix: `${head.slice(0, -1)},"pid":`, suffix: `,${tail.slice(1)}` };
}

export function hookSteps(spec: Spec, name: HookName, info: StateInfo, status: string): HookStep[] {
  const hooks: Hook[] = spec.hooks?.[name] ?? [];
  const { prefix, suffix } = stateAround(info, status);
  return hooks.map((hook) => ({
    op: 'hook',
    name,
    path: hook.path,
    arg: hook.args && hook.args.length > 0 ? hook.args : [hook.path],
    env: hook.env ?? [],
    timeout: hook.timeout ?? 0,
    'state-prefix': prefix,
    'state-suffix': suffix,
  }));
}
