// validateSpec: checks a parsed config.json field by field against the OCI runtime spec 1.2.
// Unknown fields are allowed (the spec says consumers must ignore them); known fields with the
// wrong type or value are InvalidArgument errors whose message names the JSON path:
//   config.json: process.args must be an array of strings
//   config.json: linux.namespaces[2].type: unknown namespace type "foo"

import { invalidArgument } from '../common/errors.ts';
import type { Spec } from './oci.ts';
import {
  NAMESPACE_TYPES,
  PROPAGATION_MODES,
  SECCOMP_ACTIONS,
  SECCOMP_ARCHES,
  SECCOMP_FLAGS,
  SECCOMP_OPERATORS,
} from './oci.ts';

type Obj = Record<string, unknown>;

const PREFIX = 'config.json: ';

function mustBe(path: string, what: string): never {
  throw invalidArgument(`${PREFIX}${path} must be ${what}`);
}

function bad(path: string, problem: string): never {
  throw invalidArgument(`${PREFIX}${path}: ${problem}`);
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const join = (base: string, key: string) => (base === '' ? key : `${base}.${key}`);

// ---- field checkers: each checks o[key] when present (or requires it) -------------------------

interface Field {
  o: Obj;
  key: string;
  at: string;
}

function field(o: Obj, base: string, key: string): Field {
  return { o, key, at: join(base, key) };
}

function present(f: Field, required: boolean): boolean {
  const v = f.o[f.key];
  if (v === undefined || v === null) {
    if (required) bad(f.at, 'is required');
    return false;
  }
  return true;
}

function str(f: Field, required = false): void {
  if (present(f, required) && typeof f.o[f.key] !== 'string') mustBe(f.at, 'a string');
}

function bool(f: Field): void {
  if (present(f, false) && typeof f.o[f.key] !== 'boolean') mustBe(f.at, 'a boolean');
}

interface IntRange {
  min?: number;
  max?: number;
}

const UINT: IntRange = { min: 0 };
const UINT32: IntRange = { min: 0, max: 0xffffffff };
const UINT16: IntRange = { min: 0, max: 0xffff };

function intValue(v: unknown, at: string, range: IntRange = {}): void {
  if (typeof v !== 'number' || !Number.isInteger(v)) mustBe(at, 'an integer');
  if (range.min !== undefined && v < range.min) {
    mustBe(at, range.min === 0 ? 'a non-negative integer' : `an integer >= ${range.min}`);
  }
  if (range.max !== undefined && v > range.max) mustBe(at, `an integer <= ${range.max}`);
}

function int(f: Field, range: IntRange = {}, required = false): void {
  if (present(f, required)) intValue(f.o[f.key], f.at, range);
}

function oneOf(f: Field, allowed: readonly string[], what: string, required = false): void {
  if (!present(f, required)) return;
  const v = f.o[f.key];
  if (typeof v !== 'string') mustBe(f.at, 'a string');
  if (!allowed.includes(v)) bad(f.at, `unknown ${what} ${JSON.stringify(v)}`);
}

function strings(f: Field, required = false): string[] | undefined {
  if (!present(f, required)) return undefined;
  const v = f.o[f.key];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) mustBe(f.at, 'an array of strings');
  return v;
}

function stringMap(f: Field): void {
  if (!present(f, false)) return;
  const v = f.o[f.key];
  if (!isObj(v) || !Object.values(v).every((s) => typeof s === 'string')) {
    mustBe(f.at, 'an object of strings');
  }
}

function object(f: Field, check: (o: Obj, at: string) => void, required = false): void {
  if (!present(f, required)) return;
  const v = f.o[f.key];
  if (!isObj(v)) mustBe(f.at, 'an object');
  check(v, f.at);
}

function array(f: Field, check: (o: Obj, at: string) => void, required = false): void {
  if (!present(f, required)) return;
  const v = f.o[f.key];
  if (!Array.isArray(v)) mustBe(f.at, 'an array');
  v.forEach((item, i) => {
    const at = `${f.at}[${i}]`;
    if (!isObj(item)) mustBe(at, 'an object');
    check(item, at);
  });
}

function record(f: Field, check: (o: Obj, at: string) => void): void {
  object(f, (o, at) => {
    for (const [k, v] of Object.entries(o)) {
      const kat = `${at}.${k}`;
      if (!isObj(v)) mustBe(kat, 'an object');
      check(v, kat);
    }
  });
}

// ---- sections ------------------------------------------------------------------------------

function checkIdMapping(o: Obj, at: string): void {
  int(field(o, at, 'containerID'), UINT32, true);
  int(field(o, at, 'hostID'), UINT32, true);
  int(field(o, at, 'size'), UINT32, true);
}

function checkProcess(p: Obj, at: string): void {
  bool(field(p, at, 'terminal'));
  object(field(p, at, 'consoleSize'), (o, a) => {
    int(field(o, a, 'height'), UINT, true);
    int(field(o, a, 'width'), UINT, true);
  });
  object(
    field(p, at, 'user'),
    (o, a) => {
      int(field(o, a, 'uid'), UINT32, true);
      int(field(o, a, 'gid'), UINT32, true);
      int(field(o, a, 'umask'), UINT32);
      const groups = field(o, a, 'additionalGids');
      if (present(groups, false)) {
        const v = o.additionalGids;
        if (!Array.isArray(v)) mustBe(groups.at, 'an array of integers');
        v.forEach((g, i) => {
          intValue(g, `${groups.at}[${i}]`, UINT32);
        });
      }
      str(field(o, a, 'username'));
    },
    true,
  );
  const args = strings(field(p, at, 'args'), true);
  if (args?.length === 0) mustBe(join(at, 'args'), 'a non-empty array of strings');
  str(field(p, at, 'commandLine'));
  strings(field(p, at, 'env'));
  str(field(p, at, 'cwd'), true);
  if (typeof p.cwd === 'string' && !p.cwd.startsWith('/')) mustBe(join(at, 'cwd'), 'an absolute path');
  object(field(p, at, 'capabilities'), (o, a) => {
    for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'])
      strings(field(o, a, set));
  });
  array(field(p, at, 'rlimits'), (o, a) => {
    str(field(o, a, 'type'), true);
    if (typeof o.type === 'string' && !/^RLIMIT_[A-Z]+$/.test(o.type)) {
      bad(join(a, 'type'), `unknown rlimit ${JSON.stringify(o.type)}`);
    }
    int(field(o, a, 'hard'), UINT, true);
    int(field(o, a, 'soft'), UINT, true);
  });
  bool(field(p, at, 'noNewPrivileges'));
  str(field(p, at, 'apparmorProfile'));
  int(field(p, at, 'oomScoreAdj'), { min: -1000, max: 1000 });
  str(field(p, at, 'selinuxLabel'));
  object(field(p, at, 'scheduler'), (o, a) => {
    const policies = [
      'SCHED_OTHER',
      'SCHED_FIFO',
      'SCHED_RR',
      'SCHED_BATCH',
      'SCHED_ISO',
      'SCHED_IDLE',
      'SCHED_DEADLINE',
    ];
    oneOf(field(o, a, 'policy'), policies, 'scheduler policy', true);
    int(field(o, a, 'nice'), { min: -20, max: 19 });
    int(field(o, a, 'priority'));
    strings(field(o, a, 'flags'));
    for (const k of ['runtime', 'deadline', 'period']) int(field(o, a, k), UINT);
  });
  object(field(p, at, 'ioPriority'), (o, a) => {
    oneOf(field(o, a, 'class'), ['IOPRIO_CLASS_RT', 'IOPRIO_CLASS_BE', 'IOPRIO_CLASS_IDLE'], 'class', true);
    int(field(o, a, 'priority'), { min: 0, max: 7 }, true);
  });
  object(field(p, at, 'execCPUAffinity'), (o, a) => {
    str(field(o, a, 'initial'));
    str(field(o, a, 'final'));
  });
}

function checkMount(m: Obj, at: string): void {
  str(field(m, at, 'destination'), true);
  if (!(m.destination as string).startsWith('/')) mustBe(join(at, 'destination'), 'an absolute path');
  str(field(m, at, 'type'));
  str(field(m, at, 'source'));
  strings(field(m, at, 'options'));
  array(field(m, at, 'uidMappings'), checkIdMapping);
  array(field(m, at, 'gidMappings'), checkIdMapping);
}

function checkHook(h: Obj, at: string): void {
  str(field(h, at, 'path'), true);
  if (!(h.path as string).startsWith('/')) mustBe(join(at, 'path'), 'an absolute path');
  strings(field(h, at, 'args'));
  strings(field(h, at, 'env'));
  int(field(h, at, 'timeout'), { min: 1 });
}

function checkHooks(o: Obj, at: string): void {
  for (const k of [
    'prestart',
    'createRuntime',
    'createContainer',
    'startContainer',
    'poststart',
    'poststop',
  ]) {
    array(field(o, at, k), checkHook);
  }
}

function checkSeccomp(o: Obj, at: string): void {
  oneOf(field(o, at, 'defaultAction'), SECCOMP_ACTIONS, 'seccomp action', true);
  int(field(o, at, 'defaultErrnoRet'), UINT32);
  const arches = strings(field(o, at, 'architectures')) ?? [];
  arches.forEach((a, i) => {
    if (!SECCOMP_ARCHES.includes(a)) bad(`${join(at, 'architectures')}[${i}]`, `unknown architecture "${a}"`);
  });
  const flags = strings(field(o, at, 'flags')) ?? [];
  flags.forEach((f, i) => {
    if (!SECCOMP_FLAGS.includes(f)) bad(`${join(at, 'flags')}[${i}]`, `unknown seccomp flag "${f}"`);
  });
  str(field(o, at, 'listenerPath'));
  str(field(o, at, 'listenerMetadata'));
  array(field(o, at, 'syscalls'), (s, a) => {
    strings(field(s, a, 'names'), true);
    oneOf(field(s, a, 'action'), SECCOMP_ACTIONS, 'seccomp action', true);
    int(field(s, a, 'errnoRet'), UINT32);
    array(field(s, a, 'args'), (arg, aa) => {
      int(field(arg, aa, 'index'), { min: 0, max: 5 }, true);
      int(field(arg, aa, 'value'), UINT, true);
      int(field(arg, aa, 'valueTwo'), UINT);
      oneOf(field(arg, aa, 'op'), SECCOMP_OPERATORS, 'seccomp operator', true);
    });
  });
}

const THROTTLE = [
  'throttleReadBpsDevice',
  'throttleWriteBpsDevice',
  'throttleReadIOPSDevice',
  'throttleWriteIOPSDevice',
];

function checkResources(r: Obj, at: string): void {
  array(field(r, at, 'devices'), (o, a) => {
    const allow = field(o, a, 'allow');
    present(allow, true);
    bool(allow);
    oneOf(field(o, a, 'type'), ['a', 'c', 'b'], 'device type');
    int(field(o, a, 'major'), { min: -1 });
    int(field(o, a, 'minor'), { min: -1 });
    str(field(o, a, 'access'));
    if (typeof o.access === 'string' && !/^[rwm]*$/.test(o.access)) {
      bad(join(a, 'access'), `invalid device access "${o.access}" (want a combination of r, w, m)`);
    }
  });
  object(field(r, at, 'memory'), (o, a) => {
    for (const k of ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP']) int(field(o, a, k), { min: -1 });
    int(field(o, a, 'swappiness'), { min: 0, max: 100 });
    for (const k of ['disableOOMKiller', 'useHierarchy', 'checkBeforeUpdate']) bool(field(o, a, k));
  });
  object(field(r, at, 'cpu'), (o, a) => {
    int(field(o, a, 'shares'), UINT);
    int(field(o, a, 'quota'), { min: -1 });
    for (const k of ['burst', 'period', 'realtimePeriod']) int(field(o, a, k), UINT);
    int(field(o, a, 'realtimeRuntime'));
    str(field(o, a, 'cpus'));
    str(field(o, a, 'mems'));
    int(field(o, a, 'idle'), { min: 0, max: 1 });
  });
  object(field(r, at, 'pids'), (o, a) => int(field(o, a, 'limit'), { min: -1 }, true));
  object(field(r, at, 'blockIO'), (o, a) => {
    int(field(o, a, 'weight'), UINT16);
    int(field(o, a, 'leafWeight'), UINT16);
    array(field(o, a, 'weightDevice'), (d, da) => {
      int(field(d, da, 'major'), UINT, true);
      int(field(d, da, 'minor'), UINT, true);
      int(field(d, da, 'weight'), UINT16);
      int(field(d, da, 'leafWeight'), UINT16);
    });
    for (const k of THROTTLE) {
      array(field(o, a, k), (d, da) => {
        int(field(d, da, 'major'), UINT, true);
        int(field(d, da, 'minor'), UINT, true);
        int(field(d, da, 'rate'), UINT, true);
      });
    }
  });
  array(field(r, at, 'hugepageLimits'), (o, a) => {
    str(field(o, a, 'pageSize'), true);
    int(field(o, a, 'limit'), UINT, true);
  });
  object(field(r, at, 'network'), (o, a) => {
    int(field(o, a, 'classID'), UINT32);
    array(field(o, a, 'priorities'), (p, pa) => {
      str(field(p, pa, 'name'), true);
      int(field(p, pa, 'priority'), UINT32, true);
    });
  });
  record(field(r, at, 'rdma'), (o, a) => {
    int(field(o, a, 'hcaHandles'), UINT32);
    int(field(o, a, 'hcaObjects'), UINT32);
  });
  stringMap(field(r, at, 'unified'));
}

function checkLinux(l: Obj, at: string): void {
  array(field(l, at, 'uidMappings'), checkIdMapping);
  array(field(l, at, 'gidMappings'), checkIdMapping);
  stringMap(field(l, at, 'sysctl'));
  object(field(l, at, 'resources'), checkResources);
  str(field(l, at, 'cgroupsPath'));
  const seen = new Set<string>();
  array(field(l, at, 'namespaces'), (o, a) => {
    oneOf(field(o, a, 'type'), NAMESPACE_TYPES, 'namespace type', true);
    str(field(o, a, 'path'));
    const type = o.type as string;
    if (seen.has(type)) bad(join(a, 'type'), `duplicate namespace type "${type}"`);
    seen.add(type);
  });
  array(field(l, at, 'devices'), (o, a) => {
    str(field(o, a, 'path'), true);
    if (!(o.path as string).startsWith('/')) mustBe(join(a, 'path'), 'an absolute path');
    oneOf(field(o, a, 'type'), ['c', 'b', 'u', 'p'], 'device type', true);
    const needsNumbers = o.type !== 'p';
    int(field(o, a, 'major'), UINT, needsNumbers);
    int(field(o, a, 'minor'), UINT, needsNumbers);
    int(field(o, a, 'fileMode'), { min: 0, max: 0o7777 });
    int(field(o, a, 'uid'), UINT32);
    int(field(o, a, 'gid'), UINT32);
  });
  record(field(l, at, 'netDevices'), (o, a) => str(field(o, a, 'name')));
  object(field(l, at, 'seccomp'), checkSeccomp);
  oneOf(field(l, at, 'rootfsPropagation'), PROPAGATION_MODES, 'propagation mode');
  strings(field(l, at, 'maskedPaths'));
  strings(field(l, at, 'readonlyPaths'));
  str(field(l, at, 'mountLabel'));
  object(field(l, at, 'intelRdt'), (o, a) => {
    for (const k of ['closID', 'l3CacheSchema', 'memBwSchema']) str(field(o, a, k));
    bool(field(o, a, 'enableCMT'));
    bool(field(o, a, 'enableMBM'));
  });
  object(field(l, at, 'personality'), (o, a) => {
    oneOf(field(o, a, 'domain'), ['LINUX', 'LINUX32'], 'personality domain', true);
    strings(field(o, a, 'flags'));
  });
  record(field(l, at, 'timeOffsets'), (o, a) => {
    int(field(o, a, 'secs'));
    int(field(o, a, 'nanosecs'), { min: 0, max: 999_999_999 });
  });
}

/** Checks a parsed config.json and returns it typed; throws InvalidArgument naming the first bad path. */
export function validateSpec(value: unknown): Spec {
  if (!isObj(value)) throw invalidArgument(`${PREFIX}must be a JSON object`);
  str(field(value, '', 'ociVersion'), true);
  object(field(value, '', 'process'), checkProcess);
  // root is optional only on Windows and VMs; berth runs Linux containers.
  object(
    field(value, '', 'root'),
    (o, a) => {
      str(field(o, a, 'path'), true);
      if (o.path === '') bad(join(a, 'path'), 'must not be empty');
      bool(field(o, a, 'readonly'));
    },
    true,
  );
  str(field(value, '', 'hostname'));
  str(field(value, '', 'domainname'));
  array(field(value, '', 'mounts'), checkMount);
  object(field(value, '', 'hooks'), checkHooks);
  stringMap(field(value, '', 'annotations'));
  object(field(value, '', 'linux'), checkLinux);
  return value as unknown as Spec;
}
