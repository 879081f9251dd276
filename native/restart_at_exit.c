/*
 * taskmaster's restart at the exit, loaded by src/process/native_restart.ts.
 *
 * Why native: a restart went from the child's exit through Deno's SIGCHLD
 * path (its handler, its signal thread, the event loop's wake-up), the
 * sweep's waitid, and ~0.6 ms of the main thread's work to the clone: 1.4-1.8
 * ms from the exit to the replacement's fork, where a C loop waiting for its
 * child takes 0.5 ms (issue 17). Here one thread of the daemon's own sleeps
 * in epoll_wait on a pidfd per armed instance; when an armed child exits and
 * the daemon's rule says its exit restarts it at once, the thread starts the
 * replacement there, with what the daemon prepared when it armed the slot
 * (the same path, argv, environment, directory, cgroup and umask as the last
 * spawn), and leaves everything else -- collecting the old child, its log
 * lines, the transition -- to the daemon, which takes the new child as a
 * child started ahead of its restart (instance_child.ts).
 *
 * The thread never collects the old child (WNOWAIT): the daemon's sweep does,
 * as for any other. The slots are the daemon's memory and are never freed
 * (native_restart.ts keeps a pool): an event read by epoll_wait just before
 * a disarm still points at a live slot, which the lock then shows disarmed.
 *
 * Build: `make native` (native/build.sh), which regenerates
 * src/process/native_restart_code.ts. Never edited by hand afterwards.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The spawn itself: tm_spawn() and its libc-free child, whose own names go first. */
#undef CLONE_VM
#undef CLONE_VFORK
#undef CLONE_INTO_CGROUP
#undef SYS_rt_sigaction
#undef SYS_rt_sigprocmask
#undef SYS_dup2
#undef SYS_execve
#undef SYS_wait4
#undef SYS_chdir
#undef SYS_umask
#undef SYS_setsid
#undef SYS_exit_group
#include "spawn_into_cgroup.c"

#define EXPORT __attribute__((visibility("default")))

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* slot.state */
enum {
  IDLE = 0,     /* not armed */
  ARMED = 1,    /* the thread restarts the child's exit if the rule says so */
  FIRED = 2,    /* the replacement runs: pid, stdout_fd, stderr_fd, stdin_ino, ticks */
  DECLINED = 3, /* the exit is the daemon's to handle (no immediate restart) */
  FAILED = 4,   /* the replacement could not start here (error): the daemon tries its way */
};

/* How an output stream of the replacement is made. */
enum { STREAM_PIPE = 0, STREAM_NULL = 1, STREAM_STDOUT = 2 };

/* The layout src/process/native_restart.ts writes and reads. */
struct slot {
  struct request req;  /* 0: path, argv, envp, cwd, umask; fds, stack and cgroup_fd are set here */
  const char *cgroup;  /* 72: the cgroup directory, or 0 */
  int old_pid;         /* 80: the armed child */
  int autorestart;     /* 84: 1 always, 2 unexpected */
  uint64_t expected[4]; /* 88: exit codes that are expected, as bits */
  int64_t crash_after; /* 120: ms from the arm (made CLOCK_MONOTONIC's there); a crash before is the daemon's */
  int stdout_mode;     /* 128 */
  int stderr_mode;     /* 132 */
  int state;           /* 136 */
  int pid;             /* 140: the replacement */
  int stdout_fd;       /* 144: read end, non-blocking, or -1 */
  int stderr_fd;       /* 148 */
  uint64_t stdin_ino;  /* 152: the replacement's stdin pipe */
  int64_t tick_before; /* 160: CLOCK_BOOTTIME in 1/100 s, around the clone */
  int64_t tick_after;  /* 168 */
  int error;           /* 176: errno of a FAILED start */
  int pidfd;           /* 180: owned here while armed */
};                     /* 184 */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int epoll_fd = -1;
/* The thread's id, once it runs: the parent /proc names of what it starts. */
static int watcher_tid = 0;
/* The replacement's stack until its exec (one spawn at a time: the lock). */
static char child_stack[32 * 1024] __attribute__((aligned(16)));

static int64_t monotonic_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int64_t boot_tick(void) {
  struct timespec t;
  if (clock_gettime(CLOCK_BOOTTIME, &t) != 0) return -1;
  return (int64_t)t.tv_sec * 100 + t.tv_nsec / 10000000;
}

static int is_crash_signal(int signal) {
  return signal == SIGSEGV || signal == SIGABRT || signal == SIGBUS || signal == SIGILL ||
         signal == SIGFPE || signal == SIGSYS || signal == SIGTRAP;
}

/* restartOf() of src/process/exit_edges.ts, for an exit in RUNNING: "now" or not. */
static int restarts_now(const struct slot *s, const siginfo_t *info) {
  int exited = info->si_code == CLD_EXITED;
  int code = info->si_status & 0xff;
  if (s->autorestart == 2 && exited && (s->expected[code / 64] >> (code % 64) & 1)) return 0;
  if (s->autorestart != 1 && s->autorestart != 2) return 0;
  int crashed = exited || is_crash_signal(info->si_status);
  return !(crashed && monotonic_ms() < s->crash_after);
}

/* A frozen cgroup would hold this thread (vfork) until thawed: the daemon's shim waits instead. */
static int frozen(int cgroup_fd) {
  char text[256];
  int fd = openat(cgroup_fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 1;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return 1;
  text[n] = 0;
  return strstr(text, "frozen 1") != NULL;
}

/* fd moved above 2 (the child's dup2s would clobber it); -1 on failure. */
static int above_stdio(int fd, int *made, int *count) {
  if (fd > 2) return fd;
  int above = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (above >= 0) made[(*count)++] = above;
  return above;
}

/* Makes the replacement's descriptors and starts it; 0, or an errno (state FAILED). */
static int start(struct slot *s) {
  int made[12], count = 0, error = 0, ends[2], child_fds[3] = {-1, -1, -1};
  s->stdout_fd = s->stderr_fd = -1;
  if (s->req.cgroup_fd >= 0 && frozen(s->req.cgroup_fd)) return EBUSY;
  /* Its stdin pipe reopened read-write: it never reads EOF; the daemon holds no end. */
  if (pipe2(ends, O_CLOEXEC) != 0) return errno;
  made[count++] = ends[0];
  made[count++] = ends[1];
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", ends[0]);
  int in = open(path, O_RDWR | O_CLOEXEC);
  if (in < 0) { error = errno; goto done; }
  made[count++] = in;
  for (int stream = 1; stream <= 2; stream++) {
    int mode = stream == 1 ? s->stdout_mode : s->stderr_mode;
    if (mode == STREAM_STDOUT) {
      child_fds[2] = child_fds[1];
    } else if (mode == STREAM_NULL) {
      int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
      if (fd < 0) { error = errno; goto done; }
      made[count++] = fd;
      child_fds[stream] = fd;
    } else {
      if (pipe2(ends, O_CLOEXEC) != 0) { error = errno; goto done; }
      made[count++] = ends[1];
      fcntl(ends[0], F_SETFL, O_NONBLOCK);
      if (stream == 1) s->stdout_fd = ends[0];
      else s->stderr_fd = ends[0];
      child_fds[stream] = ends[1];
    }
  }
  child_fds[0] = in;
  for (int fd = 0; fd < 3; fd++) {
    int above = above_stdio(child_fds[fd], made, &count);
    if (above < 0) { error = errno; goto done; }
    s->req.fds[fd] = above;
  }
  struct stat st;
  s->stdin_ino = fstat(in, &st) == 0 ? (uint64_t)st.st_ino : 0;
  s->req.stack = child_stack;
  s->req.stack_size = sizeof child_stack;
  s->tick_before = boot_tick();
  long pid = tm_spawn(&s->req);
  s->tick_after = boot_tick();
  if (pid > 0) s->pid = (int)pid;
  else error = pid == 0 ? s->req.child_errno : (int)-pid;
done:
  for (int i = 0; i < count; i++) close(made[i]);
  if (error != 0) {
    if (s->stdout_fd >= 0) close(s->stdout_fd);
    if (s->stderr_fd >= 0) close(s->stderr_fd);
    s->stdout_fd = s->stderr_fd = -1;
  }
  return error;
}

/* The slot's descriptors go (out of the epoll first). Under the lock. */
static void release(struct slot *s) {
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, s->pidfd, NULL);
  close(s->pidfd);
  s->pidfd = -1;
  if (s->req.cgroup_fd >= 0) close(s->req.cgroup_fd);
  s->req.cgroup_fd = -1;
}

/* An armed child's pidfd is readable: it exited. Under the lock. */
static void exited(struct slot *s) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  /* ECHILD: the daemon collected it already; its exit is the daemon's. */
  int found = waitid(P_PIDFD, s->pidfd, &info, WEXITED | WNOWAIT | WNOHANG);
  if (found == 0 && info.si_pid == 0) {
    /*
     * Not exited: an event read before a disarm, the slot armed again since
     * for another child. It stays armed -- unless its pidfd is readable all
     * the same, which would wake this thread forever.
     */
    struct pollfd ready = {.fd = s->pidfd, .events = POLLIN, .revents = 0};
    if (poll(&ready, 1, 0) == 0) return;
  }
  if (found != 0 || info.si_pid == 0 || !restarts_now(s, &info)) {
    release(s);
    s->state = DECLINED;
    return;
  }
  int error = start(s);
  release(s);
  s->error = error;
  __atomic_store_n(&s->state, error == 0 ? FIRED : FAILED, __ATOMIC_RELEASE);
}

static void *watch(void *unused) {
  (void)unused;
  sigset_t all;
  sigfillset(&all);
  /* The daemon's signals are for its own threads. */
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  __atomic_store_n(&watcher_tid, (int)gettid(), __ATOMIC_RELEASE);
  struct epoll_event events[16];
  for (;;) {
    int n = epoll_wait(epoll_fd, events, 16, -1);
    for (int i = 0; i < n; i++) {
      struct slot *s = events[i].data.ptr;
      pthread_mutex_lock(&lock);
      if (s->state == ARMED) exited(s);
      pthread_mutex_unlock(&lock);
    }
  }
  return NULL;
}

/* The epoll and its thread, once; 0 or an errno. Under the lock. */
static int ready(void) {
  if (epoll_fd >= 0) return 0;
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return errno;
  pthread_attr_t attr;
  pthread_t thread;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  epoll_fd = fd;
  int error = pthread_create(&thread, &attr, watch, NULL);
  pthread_attr_destroy(&attr);
  if (error != 0) {
    close(fd);
    epoll_fd = -1;
  }
  return error;
}

/*
 * Arms `s` (IDLE) for its old_pid: 0, or an errno (ENOSYS before Linux 5.3's
 * pidfd_open, ESRCH for a pid that is gone).
 */
EXPORT int tm_restart_arm(struct slot *s) {
  int error = 0;
  pthread_mutex_lock(&lock);
  if (s->state == ARMED) goto out;
  error = ready();
  if (error != 0) goto out;
  s->pidfd = (int)syscall(SYS_pidfd_open, s->old_pid, 0);
  if (s->pidfd < 0) { error = errno; goto out; }
  s->req.cgroup_fd = -1;
  if (s->cgroup != 0) {
    s->req.cgroup_fd = open(s->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->req.cgroup_fd < 0) {
      error = errno;
      close(s->pidfd);
      s->pidfd = -1;
      goto out;
    }
  }
  s->pid = 0;
  s->error = 0;
  s->crash_after += monotonic_ms();
  s->state = ARMED;
  struct epoll_event event = {.events = EPOLLIN, .data = {.ptr = s}};
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, s->pidfd, &event) != 0) {
    error = errno;
    release(s);
    s->state = IDLE;
  }
out:
  pthread_mutex_unlock(&lock);
  return error;
}

/* Disarms `s`; returns the state it was in (FIRED: the replacement is the caller's now). */
EXPORT int tm_restart_disarm(struct slot *s) {
  pthread_mutex_lock(&lock);
  int state = s->state;
  if (state == ARMED) release(s);
  s->state = IDLE;
  pthread_mutex_unlock(&lock);
  return state;
}

/* The thread's id (0 before the first arm): /proc/self/task/TID/children lists its restarts. */
EXPORT int tm_restart_thread(void) {
  return __atomic_load_n(&watcher_tid, __ATOMIC_ACQUIRE);
}
