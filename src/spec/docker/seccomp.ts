// Docker-format seccomp profiles (the built-in default and `--security-opt seccomp=<file>`) and
// their resolution into the OCI `linux.seccomp` object, the way dockerd does it: each rule may
// carry `includes` (all must hold) and `excludes` (any holding drops the rule) on the container's
// bounding capabilities, the host architecture and the host kernel version; `archMap` picks the
// architectures for the host's native one.

import { invalidArgument } from '../../common/errors.ts';
import { normalizeCap } from '../capabilities.ts';
import type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall, SeccompAction } from '../oci.ts';
import { SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_FLAGS, SECCOMP_OPERATORS } from '../oci.ts';
import { dockerDefaultProfile } from './seccomp-default.ts';

export interface KernelVersion {
  major: number;
  minor: number;
}

/** Conditions of a rule. Architectures use libseccomp's native names: amd64, x86, x32, arm64, s390x … */
export interface RuleFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: KernelVersion;
}

export interface SyscallRule {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: LinuxSeccompArg[];
  comment?: string;
  includes?: RuleFilter;
  excludes?: RuleFilter;
}

export interface ArchMapEntry {
  architecture: string;
  subArchitectures: string[];
}

export interface DockerSeccompProfile {
  defaultAction?: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: ArchMapEntry[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls: SyscallRule[];
}

/** What a profile is resolved against. */
export interface SeccompContext {
  /** The container's bounding capability set (`CAP_*`). */
  capabilities: string[];
  /** Host architecture, Go naming (amd64, arm64, 386, s390x …) or libseccomp's (x86 …). */
  arch: string;
  kernel: KernelVersion;
}

// ---- architectures --------------------------------------------------------------------------

/** Go's GOARCH -> libseccomp's native architecture name (the names rules use in `arches`). */
const GO_TO_NATIVE: Readonly<Record<string, string>> = {
  '386': 'x86',
  amd64: 'amd64',
  arm: 'arm',
  arm64: 'arm64',
  loong64: 'loongarch64',
  mips64: 'mips64',
  mips64p32: 'mips64n32',
  mips64le: 'mipsel64',
  mips64p32le: 'mipsel64n32',
  mipsle: 'mipsel',
  ppc: 'ppc',
  ppc64: 'ppc64',
  ppc64le: 'ppc64le',
  riscv64: 'riscv64',
  s390: 's390',
  s390x: 's390x',
};

/** libseccomp's native name -> the SCMP_ARCH token of that architecture. */
const NATIVE_TO_SCMP: Readonly<Record<string, string>> = {
  x86: 'SCMP_ARCH_X86',
  amd64: 'SCMP_ARCH_X86_64',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  loongarch64: 'SCMP_ARCH_LOONGARCH64',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64n32: 'SCMP_ARCH_MIPS64N32',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  mipsel64n32: 'SCMP_ARCH_MIPSEL64N32',
  mipsel: 'SCMP_ARCH_MIPSEL',
  ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  riscv64: 'SCMP_ARCH_RISCV64',
  s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
};

/** `amd64` -> `amd64`, `386` -> `x86`; a name that already is native (or unknown) is returned as is. */
export function nativeArch(arch: string): string {
  return GO_TO_NATIVE[arch] ?? arch;
}

/** The SCMP_ARCH token of a host architecture (Go or native naming), or undefined if unknown. */
export function scmpArch(arch: string): string | undefined {
  return NATIVE_TO_SCMP[nativeArch(arch)];
}

/**
 * The architectures a filter for this host covers: the native one and its sub-architectures
 * from `archMap` (amd64 -> X86_64, X86, X32); [] when the map has no entry for the host.
 */
export function architecturesFor(arch: string, archMap: readonly ArchMapEntry[]): string[] {
  const native = scmpArch(arch);
  const entry = archMap.find((a) => a.architecture === native);
  return entry ? [entry.architecture, ...entry.subArchitectures] : [];
}

// ---- resolution -----------------------------------------------------------------------------

const atLeast = (k: KernelVersion, min: KernelVersion) =>
  k.major > min.major || (k.major === min.major && k.minor >= min.minor);

function applies(rule: SyscallRule, caps: ReadonlySet<string>, arch: string, kernel: KernelVersion): boolean {
  const ex = rule.excludes;
  if (ex) {
    if (ex.arches?.includes(arch)) return false;
    if (ex.caps?.some((c) => caps.has(c))) return false;
    if (ex.minKernel && atLeast(kernel, ex.minKernel)) return false;
  }
  const inc = rule.includes;
  if (inc) {
    if (inc.arches && inc.arches.length > 0 && !inc.arches.includes(arch)) return false;
    if (inc.caps && !inc.caps.every((c) => caps.has(c))) return false;
    if (inc.minKernel && !atLeast(kernel, inc.minKernel)) return false;
  }
  return true;
}

function toOciSyscall(rule: SyscallRule): LinuxSyscall {
  const out: LinuxSyscall = { names: [...rule.names], action: rule.action };
  if (rule.errnoRet !== undefined) out.errnoRet = rule.errnoRet;
  if (rule.args && rule.args.length > 0) out.args = rule.args.map((a) => ({ ...a }));
  return out;
}

/**
 * Resolves a Docker-format profile for one container on one host. Returns undefined for a
 * profile with neither a default action nor rules (Docker reads that as "seccomp disabled").
 */
export function resolveSeccompProfile(
  profile: DockerSeccompProfile,
  ctx: SeccompContext,
): LinuxSeccomp | undefined {
  if (profile.defaultAction === undefined && profile.syscalls.length === 0) return undefined;
  if (profile.defaultAction === undefined)
    throw invalidArgument('seccomp profile: defaultAction is required');
  const out: LinuxSeccomp = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  const arches = profile.archMap
    ? architecturesFor(ctx.arch, profile.archMap)
    : [...(profile.architectures ?? [])];
  if (arches.length > 0) out.architectures = arches;
  if (profile.flags && profile.flags.length > 0) out.flags = [...profile.flags];
  if (profile.listenerPath !== undefined) out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata !== undefined) out.listenerMetadata = profile.listenerMetadata;
  const caps = new Set(ctx.capabilities.map(normalizeCap));
  const arch = nativeArch(ctx.arch);
  out.syscalls = profile.syscalls.filter((r) => applies(r, caps, arch, ctx.kernel)).map(toOciSyscall);
  return out;
}

/** Docker's default profile resolved for a container with these bounding capabilities on this host. */
export function resolveDockerSeccomp(ctx: SeccompContext): LinuxSeccomp {
  return resolveSeccompProfile(dockerDefaultProfile(), ctx)!;
}

/** Parses, checks and resolves a user-supplied Docker-format profile (JSON text or parsed value). */
export function resolveCustomSeccomp(
  profile: string | unknown,
  ctx: SeccompContext,
): LinuxSeccomp | undefined {
  return resolveSeccompProfile(loadSeccompProfile(profile), ctx);
}

// ---- loading a user's profile ---------------------------------------------------------------

type Obj = Record<string, unknown>;

function fail(path: string, problem: string): never {
  throw invalidArgument(`seccomp profile: ${path}${path === '' ? '' : ': '}${problem}`);
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function optStrings(o: Obj, key: string, at: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) fail(at, 'must be an array of strings');
  return v;
}

function optUint(o: Obj, key: string, at: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(at, 'must be a non-negative integer');
  return v;
}

function action(v: unknown, at: string): SeccompAction {
  if (typeof v !== 'string') fail(at, 'must be a string');
  if (!SECCOMP_ACTIONS.includes(v as SeccompAction)) fail(at, `unknown action "${v}"`);
  return v as SeccompAction;
}

function scmpArches(list: string[] | undefined, at: string): string[] | undefined {
  list?.forEach((a, i) => {
    if (!SECCOMP_ARCHES.includes(a)) fail(`${at}[${i}]`, `unknown architecture "${a}"`);
  });
  return list;
}

/** "4.8" -> {4, 8}; Docker's format is exactly `<kernel>.<major>`, not 0.0. */
export function parseKernelVersion(v: unknown, at = 'minKernel'): KernelVersion | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const m = typeof v === 'string' ? /^(\d{1,3})\.(\d{1,3})$/.exec(v) : null;
  if (!m || (m[1] === '0' && m[2] === '0'))
    fail(at, `invalid kernel version ${JSON.stringify(v)}, expected "<kernel>.<major>"`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

function filter(v: unknown, at: string): RuleFilter | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) fail(at, 'must be an object');
  const out: RuleFilter = {};
  const caps = optStrings(v, 'caps', `${at}.caps`);
  if (caps) out.caps = caps.map(normalizeCap);
  const arches = optStrings(v, 'arches', `${at}.arches`);
  if (arches) out.arches = arches;
  const minKernel = parseKernelVersion(v.minKernel, `${at}.minKernel`);
  if (minKernel) out.minKernel = minKernel;
  return out;
}

function seccompArg(v: unknown, at: string): LinuxSeccompArg {
  if (!isObj(v)) fail(at, 'must be an object');
  const index = optUint(v, 'index', `${at}.index`);
  if (index === undefined || index > 5) fail(`${at}.index`, 'must be an argument index 0-5');
  const value = optUint(v, 'value', `${at}.value`) ?? 0;
  const valueTwo = optUint(v, 'valueTwo', `${at}.valueTwo`);
  const op = v.op;
  if (typeof op !== 'string' || !SECCOMP_OPERATORS.includes(op as LinuxSeccompArg['op'])) {
    fail(`${at}.op`, `unknown operator ${JSON.stringify(op)}`);
  }
  const out: LinuxSeccompArg = { index, value, op: op as LinuxSeccompArg['op'] };
  if (valueTwo !== undefined) out.valueTwo = valueTwo;
  return out;
}

function rule(v: unknown, at: string): SyscallRule {
  if (!isObj(v)) fail(at, 'must be an object');
  let names = optStrings(v, 'names', `${at}.names`);
  if (typeof v.name === 'string' && v.name !== '') {
    if (names && names.length > 0) fail(at, "both 'name' and 'names' are set, use either");
    names = [v.name];
  }
  if (!names || names.length === 0) fail(`${at}.names`, 'must list at least one syscall');
  const out: SyscallRule = { names, action: action(v.action, `${at}.action`) };
  const errnoRet = optUint(v, 'errnoRet', `${at}.errnoRet`);
  if (errnoRet !== undefined) out.errnoRet = errnoRet;
  if (v.args !== undefined && v.args !== null) {
    if (!Array.isArray(v.args)) fail(`${at}.args`, 'must be an array');
    out.args = v.args.map((a, i) => seccompArg(a, `${at}.args[${i}]`));
  }
  if (typeof v.comment === 'string') out.comment = v.comment;
  const includes = filter(v.includes, `${at}.includes`);
  if (includes) out.includes = includes;
  const excludes = filter(v.excludes, `${at}.excludes`);
  if (excludes) out.excludes = excludes;
  return out;
}

/**
 * Reads a Docker-format seccomp profile (the content of `--security-opt seccomp=<file>`), checking
 * it field by field; errors are InvalidArgument naming the field (`seccomp profile: syscalls[2].action: …`).
 */
export function loadSeccompProfile(input: string | unknown): DockerSeccompProfile {
  let v = input;
  if (typeof input === 'string') {
    try {
      v = JSON.parse(input);
    } catch (err) {
      throw invalidArgument(`seccomp profile: decoding failed: ${(err as Error).message}`, err);
    }
  }
  if (!isObj(v)) fail('', 'must be a JSON object');
  const out: DockerSeccompProfile = { syscalls: [] };
  if (v.defaultAction !== undefined && v.defaultAction !== '')
    out.defaultAction = action(v.defaultAction, 'defaultAction');
  const defaultErrnoRet = optUint(v, 'defaultErrnoRet', 'defaultErrnoRet');
  if (defaultErrnoRet !== undefined) out.defaultErrnoRet = defaultErrnoRet;
  const architectures = scmpArches(optStrings(v, 'architectures', 'architectures'), 'architectures');
  if (v.archMap !== undefined && v.archMap !== null) {
    if (!Array.isArray(v.archMap)) fail('archMap', 'must be an array');
    if (architectures && architectures.length > 0 && v.archMap.length > 0) {
      fail('', "both 'architectures' and 'archMap' are set, use either");
    }
    out.archMap = v.archMap.map((e, i): ArchMapEntry => {
      const at = `archMap[${i}]`;
      if (!isObj(e) || typeof e.architecture !== 'string') fail(`${at}.architecture`, 'must be a string');
      scmpArches([e.architecture], `${at}.architecture`);
      const subs = scmpArches(
        optStrings(e, 'subArchitectures', `${at}.subArchitectures`),
        `${at}.subArchitectures`,
      );
      return { architecture: e.architecture, subArchitectures: subs ?? [] };
    });
  } else if (architectures) {
    out.architectures = architectures;
  }
  const flags = optStrings(v, 'flags', 'flags');
  flags?.forEach((f, i) => {
    if (!SECCOMP_FLAGS.includes(f)) fail(`flags[${i}]`, `unknown flag "${f}"`);
  });
  if (flags) out.flags = flags;
  if (typeof v.listenerPath === 'string' && v.listenerPath !== '') out.listenerPath = v.listenerPath;
  if (typeof v.listenerMetadata === 'string' && v.listenerMetadata !== '')
    out.listenerMetadata = v.listenerMetadata;
  if (v.syscalls !== undefined && v.syscalls !== null) {
    if (!Array.isArray(v.syscalls)) fail('syscalls', 'must be an array');
    out.syscalls = v.syscalls.map((r, i) => rule(r, `syscalls[${i}]`));
  }
  const notify =
    out.defaultAction === 'SCMP_ACT_NOTIFY' || out.syscalls.some((r) => r.action === 'SCMP_ACT_NOTIFY');
  if (notify && out.listenerPath === undefined)
    fail('listenerPath', 'is required when an action is SCMP_ACT_NOTIFY');
  return out;
}
