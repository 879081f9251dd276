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
 * V8 flags, measured with 500 children (bench/RESULTS.md):
 * - a 1 MB young generation instead of 16 MB: the daemon allocates little
 *   but long-lived state; this keeps ~14 MB of RSS off;
 * - no memory reducer: after a burst (launching 500 programs) V8 would run a
 *   heap-shrinking GC some 30 s later, taskmaster's only CPU use while idle
 *   (0.05 s); without it an idle daemon uses exactly none;
 * - `gc` exposed: the daemon collects the launch's garbage itself, once,
 *   when the launch is over (launch_garbage.ts), which the memory reducer
 *   would otherwise have done.
 */
export const V8_FLAGS = "--v8-flags=--max-semi-space-size=1,--no-memory-reducer,--expose-gc";

/** Everything `deno run` needs to run main.ts as the binary would. */
export const RUN_FLAGS: readonly string[] = [...PERMISSION_FLAGS, V8_FLAGS];
