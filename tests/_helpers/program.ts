/**
 * A ProgramConfig for process and supervisor tests: the config loader's own
 * defaults (so they are written down once, in src/config), with output
 * discarded and the given overrides.
 */
import { parseConfigText } from "../../src/config/load.ts";
import type { ProgramConfig, TaskmasterConfig } from "../../src/config/types.ts";

const loaded = parseConfigText("programs:\n  web:\n    cmd: /bin/sleep 1000\n", "/test.yaml", {
  isRoot: true,
  lookupUser: () => undefined,
});
if (!loaded.ok) throw new Error("the test program's config does not load");
const DEFAULTS = loaded.config.programs.get("web")!;

export function program(overrides: Partial<ProgramConfig> = {}): ProgramConfig {
  const cmd = overrides.cmd ?? DEFAULTS.cmd;
  return {
    ...DEFAULTS,
    argv: cmd.split(" "),
    stdout: { target: { kind: "discard" }, maxBytes: 0, backups: 0 },
    stderr: { target: { kind: "discard" }, maxBytes: 0, backups: 0 },
    ...overrides,
    cmd,
  };
}

/**
 * A whole configuration from YAML program entries (`web: {cmd: /bin/sleep 1}`),
 * through the real loader; no entry gives a configuration without programs
 * (which the loader itself refuses).
 */
export function configOf(...programs: string[]): TaskmasterConfig {
  const lines = programs.length === 0 ? ["placeholder: {cmd: /bin/true}"] : programs;
  const text = `programs:\n${lines.map((p) => `  ${p}\n`).join("")}`;
  const loaded = parseConfigText(text, "/test.yaml", { isRoot: true, lookupUser: () => undefined });
  if (!loaded.ok) throw new Error(`bad test config: ${JSON.stringify(loaded.issues)}`);
  return programs.length === 0 ? { ...loaded.config, programs: new Map() } : loaded.config;
}
