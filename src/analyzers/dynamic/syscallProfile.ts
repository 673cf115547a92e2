/**
 * The syscall profile of a skill: syscalls no Python skill has a reason to make. Any of
 * them in a skill's trace (even refused by gVisor) is a dynamic.syscall finding.
 */
export const DENIED_SYSCALLS: ReadonlySet<string> = new Set([
  // debugging and other processes' memory
  "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
  // mounts, namespaces, root
  "mount", "umount", "umount2", "pivot_root", "chroot", "setns", "unshare",
  "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
  // kernel keyring
  "keyctl", "add_key", "request_key",
  // kernel modules, kexec, reboot, swap, accounting
  "init_module", "finit_module", "delete_module", "create_module", "kexec_load", "kexec_file_load",
  "reboot", "swapon", "swapoff", "acct", "syslog", "vhangup", "quotactl", "nfsservctl", "uselib",
  // kernel attack surface
  "bpf", "perf_event_open", "userfaultfd", "personality", "lookup_dcookie", "io_uring_setup",
  "io_uring_enter", "io_uring_register", "fanotify_init", "open_by_handle_at", "name_to_handle_at",
  "iopl", "ioperm", "modify_ldt", "vm86", "vm86old", "_sysctl", "sysfs",
  // clocks and host identity
  "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname",
]);

export function isDeniedSyscall(name: string): boolean {
  return DENIED_SYSCALLS.has(name);
}
