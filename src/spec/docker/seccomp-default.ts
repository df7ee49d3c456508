// Docker's default seccomp profile (moby profiles/seccomp, as shipped with Docker 25-28), written
// in berth's own compact form: a default action plus blocks of syscalls, each allowed (or given
// an errno) under conditions on the container's capabilities, the host's architecture and the
// host's kernel. `toDockerRules` turns the blocks into the Docker profile format, so the built-in
// profile and a user's `--security-opt seccomp=<file>` go through one resolver (seccomp.ts).
//
// Deliberate difference: the newest upstream profile replaces the single "socket unless AF_VSOCK"
// rule by an allow-list of address families; berth keeps the released behaviour (block AF_VSOCK).

import type { LinuxSeccompArg, SeccompAction } from '../oci.ts';
import type { DockerSeccompProfile, SyscallRule } from './seccomp.ts';

const EPERM = 1;
const ENOSYS = 38;
const AF_VSOCK = 40;

// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
export const CLONE_NAMESPACE_FLAGS =
  0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

/** personality(2) values a container may set: PER_LINUX, UNAME26, ADDR_NO_RANDOMIZE, both, and the query value. */
export const ALLOWED_PERSONALITIES = [0x0, 0x0008, 0x20000, 0x20008, 0xffffffff];

const words = (s: string): string[] => s.split(/\s+/).filter((w) => w !== '');

/** Syscalls every container may make, whatever its capabilities. */
const ALWAYS = words(`
  accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown chown32
  clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
  clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3
  epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old
  eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate
  fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync
  fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync
  ftruncate ftruncate64 futex futex_requeue futex_time64 futex_wait futex_waitv futex_wake futimesat
  getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups
  getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid
  getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage getsid getsockname getsockopt
  get_thread_area gettid gettimeofday getuid getuid32 getxattr getxattrat inotify_add_watch inotify_init
  inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents
  io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule
  landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listmount
  listxattr listxattrat llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise
  map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2
  mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64
  mq_timedsend mq_timedsend_time64 mq_unlink mremap mseal msgctl msgget msgrcv msgsnd msync munlock
  munlockall munmap name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause
  pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64
  prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 pwritev
  pwritev2 read readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg
  remap_file_pages removexattr removexattrat rename renameat renameat2 restart_syscall riscv_hwprobe
  rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend
  rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr
  sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler sched_rr_get_interval
  sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam sched_setscheduler
  sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64
  sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32
  setitimer setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid
  setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32
  setxattr setxattrat shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask
  sigreturn socketcall socketpair splice stat stat64 statfs statfs64 statmount statx symlink symlinkat
  sync sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun
  timer_gettime timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime
  timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask
  uname unlink unlinkat uretprobe utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid
  waitpid write writev
`);

/** Syscalls unlocked by one capability in the bounding set. */
const BY_CAPABILITY: ReadonlyArray<[cap: string, syscalls: string]> = [
  ['CAP_DAC_READ_SEARCH', 'open_by_handle_at'],
  [
    'CAP_SYS_ADMIN',
    `bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie lsm_get_self_attr
     lsm_list_modules lsm_set_self_attr mount mount_setattr move_mount open_tree perf_event_open quotactl
     quotactl_fd setdomainname sethostname setns syslog umount umount2 unshare`,
  ],
  ['CAP_SYS_BOOT', 'reboot'],
  ['CAP_SYS_CHROOT', 'chroot'],
  ['CAP_SYS_MODULE', 'delete_module init_module finit_module'],
  ['CAP_SYS_PACCT', 'acct'],
  ['CAP_SYS_PTRACE', 'kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace'],
  ['CAP_SYS_RAWIO', 'iopl ioperm'],
  ['CAP_SYS_TIME', 'settimeofday stime clock_settime clock_settime64'],
  ['CAP_SYS_TTY_CONFIG', 'vhangup'],
  ['CAP_SYS_NICE', 'get_mempolicy mbind set_mempolicy set_mempolicy_home_node'],
  ['CAP_SYSLOG', 'syslog'],
  ['CAP_BPF', 'bpf'],
  ['CAP_PERFMON', 'perf_event_open'],
];

/** Architecture-specific syscalls, keyed by the native (libseccomp) names they apply to. */
const BY_ARCH: ReadonlyArray<[arches: string, syscalls: string]> = [
  ['ppc64le', 'sync_file_range2 swapcontext'],
  ['arm arm64', 'arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls'],
  ['amd64 x32', 'arch_prctl'],
  ['amd64 x32 x86', 'modify_ldt'],
  ['s390 s390x', 's390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr'],
  ['riscv64', 'riscv_flush_icache'],
];

const ALLOW: SeccompAction = 'SCMP_ACT_ALLOW';

const arg = (index: number, op: LinuxSeccompArg['op'], value: number): LinuxSeccompArg => ({
  index,
  value,
  op,
});

function defaultRules(): SyscallRule[] {
  const rules: SyscallRule[] = [{ names: ALWAYS, action: ALLOW }];
  // Before 4.8, seccomp could be bypassed with ptrace; allow it unconditionally only after.
  rules.push({
    names: ['process_vm_readv', 'process_vm_writev', 'ptrace'],
    action: ALLOW,
    includes: { minKernel: { major: 4, minor: 8 } },
  });
  rules.push({ names: ['socket'], action: ALLOW, args: [arg(0, 'SCMP_CMP_NE', AF_VSOCK)] });
  for (const value of ALLOWED_PERSONALITIES) {
    rules.push({ names: ['personality'], action: ALLOW, args: [arg(0, 'SCMP_CMP_EQ', value)] });
  }
  for (const [arches, names] of BY_ARCH) {
    rules.push({ names: words(names), action: ALLOW, includes: { arches: words(arches) } });
  }
  const byCap = BY_CAPABILITY.map(
    ([cap, names]): SyscallRule => ({
      names: words(names),
      action: ALLOW,
      includes: { caps: [cap] },
    }),
  );
  // open_by_handle_at and the CAP_SYS_ADMIN block come first, then what stands in for them without it.
  rules.push(byCap[0], byCap[1]);
  // Without CAP_SYS_ADMIN, clone may not create namespaces (flags are argument 0, or 1 on s390).
  rules.push({
    names: ['clone'],
    action: ALLOW,
    args: [arg(0, 'SCMP_CMP_MASKED_EQ', CLONE_NAMESPACE_FLAGS)],
    excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] },
  });
  rules.push({
    names: ['clone'],
    action: ALLOW,
    args: [arg(1, 'SCMP_CMP_MASKED_EQ', CLONE_NAMESPACE_FLAGS)],
    comment: 's390 passes the clone flags as the second argument',
    includes: { arches: ['s390', 's390x'] },
    excludes: { caps: ['CAP_SYS_ADMIN'] },
  });
  // clone3's flags sit behind a pointer seccomp cannot read: make libc fall back to clone.
  rules.push({
    names: ['clone3'],
    action: 'SCMP_ACT_ERRNO',
    errnoRet: ENOSYS,
    excludes: { caps: ['CAP_SYS_ADMIN'] },
  });
  rules.push(...byCap.slice(2));
  // valueTwo is 0 on every masked comparison above; libseccomp wants it present for MASKED_EQ.
  for (const r of rules) for (const a of r.args ?? []) if (a.op === 'SCMP_CMP_MASKED_EQ') a.valueTwo = 0;
  return rules;
}

/** The architectures each native architecture's filter also covers (Docker's archMap). */
export const DEFAULT_ARCH_MAP: ReadonlyArray<{ architecture: string; subArchitectures: string[] }> = [
  { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
  { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  { architecture: 'SCMP_ARCH_MIPS64', subArchitectures: ['SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64N32'] },
  { architecture: 'SCMP_ARCH_MIPS64N32', subArchitectures: ['SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64'] },
  { architecture: 'SCMP_ARCH_MIPSEL64', subArchitectures: ['SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64N32'] },
  { architecture: 'SCMP_ARCH_MIPSEL64N32', subArchitectures: ['SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64'] },
  { architecture: 'SCMP_ARCH_S390X', subArchitectures: ['SCMP_ARCH_S390'] },
  { architecture: 'SCMP_ARCH_RISCV64', subArchitectures: [] },
  { architecture: 'SCMP_ARCH_LOONGARCH64', subArchitectures: [] },
];

/** A fresh copy of Docker's default profile, in the Docker profile format. */
export function dockerDefaultProfile(): DockerSeccompProfile {
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    archMap: DEFAULT_ARCH_MAP.map((a) => ({
      architecture: a.architecture,
      subArchitectures: [...a.subArchitectures],
    })),
    syscalls: defaultRules(),
  };
}
