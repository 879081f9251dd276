import type { SpawnSpec } from "../../src/process/spawner.ts";

/** A spawn with nothing set (no env, cwd, umask, user or cgroup) but what `overrides` say. */
export const plainSpec = (overrides: Partial<SpawnSpec> = {}): SpawnSpec => ({
  argv: ["/bin/true"],
  env: {},
  cwd: null,
  umask: null,
  uid: null,
  gid: null,
  combineOutput: false,
  ...overrides,
});
