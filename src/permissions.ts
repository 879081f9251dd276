/**
 * The flags taskmaster runs with: the compiled binary's, the `deno task
 * taskmaster` run from source, a `--detach` re-exec and the tests all use
 * these lists (deno.json repeats them for the tasks).
 *
 * @module
 */

/**
 * `--allow-net` is needed for the unix control socket's HTTP client;
 * `--allow-ffi` for prctl/waitid, to reap orphaned grandchildren (reaper.ts).
 */
export const PERMISSION_FLAGS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-sys",
  "--allow-net",
  "--allow-ffi",
];

/**
 * A 1 MB young generation instead of V8's default 16 MB: the daemon allocates
 * little but long-lived state, and this keeps ~14 MB of RSS off a daemon
 * with 500 children (measured with VmRSS; see bench/RESULTS.md).
 */
export const V8_FLAGS = "--v8-flags=--max-semi-space-size=1";

/** Everything `deno run` needs to run main.ts as the binary would. */
export const RUN_FLAGS: readonly string[] = [...PERMISSION_FLAGS, V8_FLAGS];
