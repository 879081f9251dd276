/**
 * Loads a module through a variable rather than a string-literal
 * `import("…")`: before running a script, `deno run` reads, hashes and
 * resolves every module a literal reaches, npm packages included: a
 * `ctl status` went through the daemon's ~400 modules (main.ts loads each
 * command's module this way), and a `ctl stop all` paid for the
 * interactive shell, the YAML parser and the SSE parser it does not use
 * (~3 ms of its ~19 ms start). Pass a relative
 * module as `new URL("./x.ts", import.meta.url)` (this module is not where
 * it lives) and a package by its bare name. `deno compile` does not follow
 * a variable either: every module loaded this way is in
 * src/compile_includes.ts (tests/release/compile_includes_test.ts).
 *
 * @module
 */

/** `import(specifier)`, typed by the caller: `loadModule<typeof import("./x.ts")>(…)`. */
export function loadModule<Module>(specifier: URL | string): Promise<Module> {
  return import(String(specifier));
}
