/** A fully defaulted ProgramConfig for tests, with overrides. */
import type { ProgramConfig } from "../../src/config/types.ts";

export function program(overrides: Partial<ProgramConfig> = {}): ProgramConfig {
  const cmd = overrides.cmd ?? "/bin/sleep 1000";
  return {
    name: "web",
    cmd,
    argv: cmd.split(" "),
    numprocs: 1,
    priority: 999,
    autostart: true,
    autorestart: "unexpected",
    exitcodes: [0],
    startretries: 3,
    starttime: 1,
    stopsignal: "SIGTERM",
    stoptime: 10,
    stdout: { target: { kind: "discard" }, maxBytes: 0, backups: 0 },
    stderr: { target: { kind: "discard" }, maxBytes: 0, backups: 0 },
    timestamps: false,
    env: {},
    workingdir: null,
    umask: null,
    user: null,
    ...overrides,
  };
}
