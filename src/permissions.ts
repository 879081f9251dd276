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
 *   would otherwise have done;
 * - Maglev as the top compiler tier (`--max-opt=2`): once enough code is
 *   hot (a launch of 500 programs sometimes, 1,000 always) V8 starts
 *   TurboFan, which pages in ~6 MB of Deno's own machine code and keeps
 *   ~2 MB of its working memory: RSS with 500 sleeping programs read 34 or
 *   42 MB from one run to the next. The daemon's hot paths wait on the
 *   kernel, not on JavaScript.
 */
export const V8_FLAGS =
  "--v8-flags=--max-semi-space-size=1,--no-memory-reducer,--expose-gc,--max-opt=2";

/**
 * No V8 code cache. Deno keeps its cache (an SQLite file under DENO_DIR)
 * mapped for as long as the process lives, and builds the code it reads
 * from it at start: a daemon with no program running read 33.5–40.2 MB of
 * RSS without it against 39.0–44.8 MB with it (bench/RESULTS.md,
 * twenty-third pass). The price: its modules are compiled from source at
 * each start, ~25 ms more for the daemon, ~1.3 ms for a `ctl status` and
 * nothing measurable for a `ctl stop all`. Measured from source (`deno
 * run`); the compiled binary's own code cache was not measured.
 */
export const CODE_CACHE_FLAG = "--no-code-cache";

/** Everything `deno run` needs to run main.ts as the binary would. */
export const RUN_FLAGS: readonly string[] = [...PERMISSION_FLAGS, V8_FLAGS, CODE_CACHE_FLAG];
