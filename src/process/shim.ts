/**
 * The `sh -c` shim a child starts through when Deno cannot set something
 * itself: it sets it, then execs the user's command in place (same pid).
 * Only the script text lives here; the spawner passes its arguments.
 *
 * @module
 */

/**
 * What Deno cannot set for a child goes through a POSIX sh that sets it and
 * then execs the command in place (same pid): entering the instance's cgroup
 * before anything can fork outside it, the umask (per process; Deno can only
 * set taskmaster's own) and stderr pointing at the stdout pipe. The user's
 * command line itself never goes through a shell: it is `"$@"` (for `user:`
 * preceded by setpriv, which applies the account's groups as it drops root).
 * `$0` carries the umask (or a placeholder), then come taskmaster's pid when
 * `parent` is set, and the cgroup when there is one.
 *
 * `parent`: the command runs only while the taskmaster that spawned it is
 * alive (its parent pid: the shell's $PPID, then /proc/$$/status, read
 * without forking). A
 * spawn under way when taskmaster is SIGKILLed is not yet in the state file;
 * its shim may still be waiting to enter its cgroup (a cgroup.procs write
 * waits for an RCU grace period) when the next taskmaster's recovery looks.
 * It must never exec the program after that: the parent check comes after
 * the cgroup is entered, so a command that passed it was already where
 * recovery searches (its cgroup, and its environment's
 * SUPERVISOR_SERVER_URL) before the old taskmaster died. An unreadable /proc
 * skips the check rather than refusing every spawn.
 */
export function shimScript(
  options: {
    umask: boolean;
    combineOutput: boolean;
    cgroup?: boolean;
    parent?: boolean;
    reopenStdin?: boolean;
  },
): string | null {
  if (
    !options.umask && !options.combineOutput && !options.cgroup && !options.parent &&
    !options.reopenStdin
  ) return null;
  // First check: the shell's $PPID (its parent when it started), free. Once
  // in its cgroup, the shim asks again where it stands now: the PPid line
  // of /proc/$$/status. dash's `read` takes one byte per read(2), and that
  // line comes after ~80 bytes, where /proc/$$/stat's whole line was ~300,
  // twice per spawn (issue 17).
  const parent = options.parent ? '_tm_p=$1; shift; [ "$PPID" = "$_tm_p" ] || exit 125; ' : "";
  const recheck = '_tm_v=; { while read -r _tm_k _tm_v && [ "$_tm_k" != PPid: ]; do :; done; } ' +
    '</proc/$$/status 2>/dev/null; [ -z "$_tm_v" ] || [ "$_tm_v" = "$_tm_p" ] || exit 125; ';
  // The cgroup is made here, in the child, not by taskmaster: creating one
  // costs the kernel an RCU grace period (40 ms on a loaded 2-core VM), which
  // would stall the daemon's event loop once per spawn. A removal of the
  // previous run's empty cgroup may still be in flight: retry a few times.
  // No `mkdir -p`: nothing is ever created outside the cgroup hierarchy.
  const cgroup = options.cgroup
    ? '_tm_n=0; until echo $$ 2>/dev/null >"$1/cgroup.procs"; do _tm_n=$((_tm_n+1)); ' +
      '[ $_tm_n -lt 4 ] || { echo "taskmaster: cannot enter cgroup $1" >&2; exit 126; }; ' +
      'mkdir "${1%/*}" 2>/dev/null; mkdir "$1" 2>/dev/null; done; shift; ' +
      (options.parent ? recheck : "")
    : "";
  // The child becomes a writer of its own stdin pipe, so the daemon can
  // close its end and the program still never reads EOF (stdin_writer.ts).
  // `command`: a failed reopen leaves stdin as it was instead of ending sh.
  const stdin = options.reopenStdin ? "command exec 0<>/proc/self/fd/0; " : "";
  const umask = options.umask ? 'umask "$0" && ' : "";
  const redirect = options.combineOutput ? " 2>&1" : "";
  return `${parent}${cgroup}${stdin}${umask}exec "$@"${redirect}`;
}
