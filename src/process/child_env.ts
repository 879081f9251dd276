/**
 * The environment every child starts from: taskmaster's own, as the user
 * launched it, minus what only taskmaster's launch machinery put there.
 * `deno task` adds `INIT_CWD` and npm's `npm_config_*`/`npm_package_*`
 * variables; they describe how taskmaster was started, not the program's
 * world, and would differ between `./taskmaster` and the compiled binary.
 * A program's `env` is applied on top by the spawner.
 *
 * @module
 */

/** Names that belong to taskmaster's launcher, never to a child. */
export function isTaskmasterInternal(name: string): boolean {
  return name === "INIT_CWD" || name.startsWith("npm_config_") ||
    name.startsWith("npm_package_") || name.startsWith("npm_lifecycle_") ||
    name === "npm_execpath" || name === "npm_node_execpath" || name === "npm_command";
}

/** `env` without taskmaster's internals. */
export function childBaseEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!isTaskmasterInternal(name)) base[name] = value;
  }
  return base;
}
