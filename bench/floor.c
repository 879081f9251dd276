/*
 * The floor: the least a supervisor can do, in C, for bench/_floor.ts.
 *
 *   floor N STDOUT_FILE|- AUTOSTART(0|1) RESPAWN(0|1) ARGV...
 *
 * Keeps N copies of ARGV alive with posix_spawnp (each the leader of its own
 * session, stdin and stderr /dev/null, stdout appended to STDOUT_FILE or
 * /dev/null when "-"), respawning a slot as soon as its child is reaped (when RESPAWN).
 * No config, no log, no socket: control is by signal, answers on stdout.
 *   SIGUSR2  start every slot            -> "started\n"
 *   SIGUSR1  SIGTERM every child, reap all, stop respawning -> "stopped\n"
 *   SIGTERM  the same, then exit 0
 * Prints "ready\n" once its signals are set up (before any spawn).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static pid_t *slots;
static int count;
static char **child_argv;
static posix_spawnattr_t attr;
static posix_spawn_file_actions_t actions;

static void say(const char *line) {
  ssize_t left = (ssize_t)strlen(line);
  while (left > 0) {
    ssize_t n = write(1, line, (size_t)left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    line += n;
    left -= n;
  }
}

static void spawn_slot(int i) {
  pid_t pid;
  int err = posix_spawnp(&pid, child_argv[0], &actions, &attr, child_argv, environ);
  if (err != 0) {
    dprintf(2, "floor: spawn %s: %s\n", child_argv[0], strerror(err));
    slots[i] = 0;
    return;
  }
  slots[i] = pid;
}

static int alive(void) {
  int n = 0;
  for (int i = 0; i < count; i++) n += slots[i] != 0;
  return n;
}

/* Reaps what exited; respawns those slots when `respawn`. */
static void reap(int respawn) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    for (int i = 0; i < count; i++) {
      if (slots[i] != pid) continue;
      slots[i] = 0;
      if (respawn) spawn_slot(i);
      break;
    }
  }
}

/* SIGTERM to every child, then reap every one (the signals stay blocked). */
static void stop_all(sigset_t *waitset) {
  for (int i = 0; i < count; i++) {
    if (slots[i] != 0) kill(slots[i], SIGTERM);
  }
  while (alive() > 0) {
    int sig = sigwaitinfo(waitset, NULL);
    if (sig == SIGCHLD) reap(0);
  }
}

int main(int argc, char **argv) {
  if (argc < 6) {
    dprintf(2, "usage: floor N STDOUT_FILE|- AUTOSTART RESPAWN ARGV...\n");
    return 2;
  }
  count = atoi(argv[1]);
  const char *out = strcmp(argv[2], "-") == 0 ? "/dev/null" : argv[2];
  int autostart = atoi(argv[3]);
  int respawn = atoi(argv[4]);
  child_argv = argv + 5;
  slots = calloc((size_t)(count > 0 ? count : 1), sizeof *slots);

  sigset_t set, empty;
  sigemptyset(&set);
  sigemptyset(&empty);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, NULL);

  posix_spawnattr_init(&attr);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &set);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);

  say("ready\n");
  int running = autostart;
  if (running) {
    for (int i = 0; i < count; i++) spawn_slot(i);
  }
  for (;;) {
    int sig = sigwaitinfo(&set, NULL);
    if (sig < 0) continue;
    if (sig == SIGCHLD) {
      reap(running && respawn);
    } else if (sig == SIGUSR2) {
      running = 1;
      for (int i = 0; i < count; i++) {
        if (slots[i] == 0) spawn_slot(i);
      }
      say("started\n");
    } else if (sig == SIGUSR1) {
      running = 0;
      stop_all(&set);
      say("stopped\n");
    } else if (sig == SIGTERM) {
      running = 0;
      stop_all(&set);
      return 0;
    }
  }
}
