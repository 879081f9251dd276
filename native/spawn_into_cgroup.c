/*
 * taskmaster's spawn into a cgroup (x86_64 Linux), loaded by
 * src/process/native_spawn.ts. glibc before 2.41 has no way to start a child
 * inside a cgroup (posix_spawnattr_setcgroup_np): entering it afterwards
 * (a write to cgroup.procs) waits for an RCU grace period, 3-10 ms on a
 * quiet machine, on every restart. clone3's CLONE_INTO_CGROUP makes the
 * child there from its first instruction, with no migration.
 *
 * This is glibc's posix_spawn cut to what taskmaster needs: a vfork-style
 * clone3 (the parent thread waits until the exec, no page tables copied) on
 * a stack of the caller's, then in the child every signal at its default
 * action, a session of its own, fds 0-2, the directory, the umask, an empty
 * signal mask and execve. No libc: raw system calls only, so nothing in the
 * child touches a lock or state another thread of the daemon may hold.
 *
 * Build: `make native` (native/build.sh), which regenerates
 * src/process/native_spawn_code.ts. Never edited by hand afterwards.
 */

typedef unsigned long u64;

/* The layout src/process/native_spawn.ts writes. */
struct request {
  const char *path;
  char *const *argv;
  char *const *envp;
  const char *cwd; /* 0: stay */
  void *stack;
  u64 stack_size;
  int fds[3];      /* become the child's 0, 1, 2; each above 2 */
  int cgroup_fd;   /* -1: the daemon's own cgroup */
  int umask;       /* -1: the daemon's */
  int child_errno; /* out: why the child could not exec */
};

struct clone_args {
  u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
    set_tid_size, cgroup;
};

struct kernel_sigaction {
  u64 handler, flags, restorer, mask;
};

#define CLONE_VM 0x00000100UL
#define CLONE_VFORK 0x00004000UL
#define CLONE_INTO_CGROUP 0x200000000UL
#define SIGCHLD 17
#define SIG_BLOCK 0
#define SIG_SETMASK 2

#define SYS_rt_sigaction 13
#define SYS_rt_sigprocmask 14
#define SYS_dup2 33
#define SYS_execve 59
#define SYS_wait4 61
#define SYS_chdir 80
#define SYS_umask 95
#define SYS_setsid 112
#define SYS_exit_group 231

static long sys(long n, long a, long b, long c, long d) {
  register long r10 __asm__("r10") = d;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                   : "rcx", "r11", "memory");
  return ret;
}

/*
 * clone3(args, size), then fn(arg) in the child on its own stack; the
 * parent gets the pid or -errno. As glibc's clone3.S: the child must not
 * return into the caller's frames, which are the parent's.
 */
long tm_clone3(struct clone_args *args, u64 size, void (*fn)(struct request *),
               struct request *arg);
__asm__(".text\n"
        ".type tm_clone3,@function\n"
        "tm_clone3:\n"
        "  mov %rcx, %r8\n"
        "  mov $435, %eax\n"
        "  syscall\n"
        "  test %rax, %rax\n"
        "  jz 1f\n"
        "  ret\n"
        "1:\n"
        "  xor %ebp, %ebp\n"
        "  and $-16, %rsp\n"
        "  mov %r8, %rdi\n"
        "  call *%rdx\n"
        "  hlt\n"
        ".size tm_clone3, .-tm_clone3\n");

static void child(struct request *r) {
  struct kernel_sigaction default_action = {0, 0, 0, 0};
  long error;
  /* The daemon's handlers are in this copy of its table: none may run here. */
  for (long signal = 1; signal <= 64; signal++) {
    if (signal != 9 && signal != 19) sys(SYS_rt_sigaction, signal, (long)&default_action, 0, 8);
  }
  error = sys(SYS_setsid, 0, 0, 0, 0);
  for (long fd = 0; error >= 0 && fd < 3; fd++) error = sys(SYS_dup2, r->fds[fd], fd, 0, 0);
  if (error >= 0 && r->cwd != 0) error = sys(SYS_chdir, (long)r->cwd, 0, 0, 0);
  if (error >= 0) {
    u64 none = 0;
    if (r->umask >= 0) sys(SYS_umask, r->umask, 0, 0, 0);
    sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&none, 0, 8);
    error = sys(SYS_execve, (long)r->path, (long)r->argv, (long)r->envp, 0);
  }
  /* Seen by the parent once this child is gone (the memory is shared). */
  r->child_errno = (int)-error;
  for (;;) sys(SYS_exit_group, 127, 0, 0, 0);
}

/*
 * The child's pid; 0 when it could not exec (request.child_errno says why,
 * and the child is already collected); -errno when clone3 failed (ENOSYS
 * before Linux 5.7 for CLONE_INTO_CGROUP, or a cgroup that is gone).
 */
__attribute__((visibility("default"))) long tm_spawn(struct request *r) {
  u64 all = ~0UL, old = 0;
  struct clone_args args = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  long pid;
  args.flags = CLONE_VM | CLONE_VFORK | (r->cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
  args.exit_signal = SIGCHLD;
  args.stack = (u64)r->stack;
  args.stack_size = r->stack_size;
  args.cgroup = r->cgroup_fd >= 0 ? (u64)r->cgroup_fd : 0;
  r->child_errno = 0;
  /* Until the child has reset its handlers, a signal must wait (it inherits this mask). */
  sys(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, (long)&old, 8);
  pid = tm_clone3(&args, sizeof args, child, r);
  if (pid > 0 && r->child_errno != 0) {
    int status;
    while (sys(SYS_wait4, pid, (long)&status, 0, 0) == -4) {}
    pid = 0;
  }
  sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8);
  return pid;
}
