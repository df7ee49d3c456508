// Hooks run by the runtime itself (poststart, poststop): each gets the state JSON on stdin.
// The others run inside the interpreter (native/PLAN.md `hook`).

import { spawnSync } from 'node:child_process';
import { internal } from '../common/errors.ts';
import type { Hook, State } from '../spec/oci.ts';

export function runHooks(name: string, hooks: readonly Hook[] | undefined, state: State): void {
  for (const hook of hooks ?? []) {
    const [argv0, ...args] = hook.args && hook.args.length > 0 ? hook.args : [hook.path];
    const result = spawnSync(hook.path, args, {
      argv0,
      env: Object.fromEntries(
        (hook.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
      ),
      input: JSON.stringify(state),
      timeout: hook.timeout ? hook.timeout * 1000 : undefined,
      killSignal: 'SIGKILL',
      stdio: ['pipe', 'inherit', 'pipe'],
    });
    if (result.error) throw internal(`${name} hook ${hook.path}: ${result.error.message}`, result.error);
    if (result.signal) throw internal(`${name} hook ${hook.path} was killed by ${result.signal}`);
    if (result.status !== 0) {
      const detail = result.stderr?.toString().trim().split('\n')[0];
      throw internal(
        `${name} hook ${hook.path} exited with status ${result.status}${detail ? `: ${detail}` : ''}`,
      );
    }
  }
}
