/**
 * The modules `deno compile` must be told about, because no string-literal
 * import reaches them: the config-reload worker (a `new Worker(url)`), the
 * command modules that main.ts loads through a variable, and the client's
 * modules loaded with `loadModule` (src/util/load_module.ts). release/dist.ts
 * passes each with --include; deno.json's build task repeats them, as it
 * repeats the permission flags (tests/release/compile_includes_test.ts
 * checks both against main.ts).
 *
 * @module
 */

/** Paths from the repository root. */
export const COMPILE_INCLUDES: readonly string[] = [
  "src/config/load_worker.ts",
  "src/ctl.ts",
  "src/shell/repl.ts",
  "src/api/_sse.ts",
  "src/supervisord/import_cli.ts",
  "src/export/command.ts",
  "src/startup/command.ts",
  "src/daemon/check.ts",
  "src/daemon/detach.ts",
  "src/daemon/daemon.ts",
];
