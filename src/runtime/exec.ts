// Running another process in a container: the container's process settings by default, with
// runc exec's overrides, or a whole process from --process.

import { readFileSync } from 'node:fs';
import { conflict, invalidArgument } from '../common/errors.ts';
import { compileExec } from '../plan/exec.ts';
import type { Process } from '../spec/oci.ts';
import { hostFacts } from './facts.ts';
import { interpreterFds, type RunPlanOptions, runPlan } from './native.ts';
import type { Runtime } from './runtime.ts';

export interface ExecRequest {
  id: string;
  /** a process.json (runc --process); when absent, args and overrides apply to the container's process */
  processFile?: string;
  args?: string[];
  env?: string[];
  cwd?: string;
  user?: { uid: number; gid: number };
  additionalGids?: number[];
  caps?: string[];
  noNewPrivs?: boolean;
  tty?: boolean;
  detach?: boolean;
  consoleSocket?: string;
  pidFile?: string;
  preserveFds?: number;
  stdio?: RunPlanOptions['stdio'];
  extraFds?: number[];
}

function mergeEnv(base: string[], extra: string[]): string[] {
  const out = new Map(base.map((e) => [e.split('=')[0], e]));
  for (const e of extra) out.set(e.split('=')[0], e);
  return [...out.values()];
}

export function execProcess(base: Process, req: ExecRequest): Process {
  if (req.processFile) {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(req.processFile, 'utf8'));
    } catch (err) {
      throw invalidArgument(`process ${req.processFile}: ${(err as Error).message}`);
    }
    const p = value as Process;
    if (!p || typeof p !== 'object' || !Array.isArray(p.args) || !p.user || typeof p.cwd !== 'string') {
      throw invalidArgument(`process ${req.processFile}: needs args, user and cwd`);
    }
    return p;
  }
  if (!req.args || req.args.length === 0) throw invalidArgument('exec needs a command (or --process)');
  const caps = base.capabilities;
  const add = req.caps ?? [];
  return {
    ...base,
    args: req.args,
    env: mergeEnv(base.env ?? [], req.env ?? []),
    cwd: req.cwd ?? base.cwd,
    terminal: req.tty ?? false,
    user: req.user
      ? {
          ...base.user,
          uid: req.user.uid,
          gid: req.user.gid,
          additionalGids: req.additionalGids ?? base.user.additionalGids,
        }
      : { ...base.user, additionalGids: req.additionalGids ?? base.user.additionalGids },
    noNewPrivileges: req.noNewPrivs || base.noNewPrivileges,
    capabilities: caps && {
      bounding: [...new Set([...(caps.bounding ?? []), ...add])],
      effective: [...new Set([...(caps.effective ?? []), ...add])],
      permitted: [...new Set([...(caps.permitted ?? []), ...add])],
      inheritable: [...new Set([...(caps.inheritable ?? []), ...add])],
      ambient: [...new Set([...(caps.ambient ?? []), ...add])],
    },
  };
}

/** Runs the process; resolves with its exit status, or 0 once it started with `detach`. */
export async function execInContainer(runtime: Runtime, req: ExecRequest): Promise<number> {
  const record = runtime.store.load(req.id);
  const status = runtime.status(record);
  if (status !== 'running' && status !== 'created') throw conflict(`cannot exec in a ${status} container`);
  const proc = execProcess(record.spec.process!, req);
  const plan = compileExec({
    spec: record.spec,
    process: proc,
    pid: record.pid,
    pidStart: record.pidStart || undefined,
    cgroupsPath: record.cgroupsPath,
    facts: hostFacts(record.cgroupsPath),
    detach: req.detach ?? false,
    consoleSocket: req.consoleSocket,
    pidFile: req.pidFile,
    reportFd: interpreterFds(req.extraFds?.length ?? 0).report,
    preserveFds: req.preserveFds,
    seccompCache: record.spec.linux?.seccomp ? runtime.seccompCache() : undefined,
  });
  const running = runPlan(plan, { stdio: req.stdio, extraFds: req.extraFds });
  await running.pid;
  return running.exit;
}
