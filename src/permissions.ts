/**
 * The permission flags taskmaster runs with: the compiled binary's, the
 * `deno task taskmaster` run from source, a `--detach` re-exec and the tests
 * all use this one list (deno.json repeats it for the tasks).
 * `--allow-net` is needed for the unix control socket's HTTP client.
 *
 * @module
 */
export const PERMISSION_FLAGS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-sys",
  "--allow-net",
];
