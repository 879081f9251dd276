import assert from "node:assert/strict";
import { type ConfigIssue, formatConfigIssue } from "../../src/config/validate.ts";

const base: ConfigIssue = {
  file: "/abs/cfg.yaml",
  line: 4,
  column: 16,
  program: "web",
  key: "numprocs",
  message: 'expected an integer >= 1, got "two"',
};

const CASES: [Partial<ConfigIssue>, string][] = [
  [{}, '/abs/cfg.yaml:4:16: program "web": key "numprocs": expected an integer >= 1, got "two"'],
  [
    { column: null },
    '/abs/cfg.yaml:4: program "web": key "numprocs": expected an integer >= 1, got "two"',
  ],
  [
    { line: null, column: null },
    '/abs/cfg.yaml: program "web": key "numprocs": expected an integer >= 1, got "two"',
  ],
  [{ program: null }, '/abs/cfg.yaml:4:16: key "numprocs": expected an integer >= 1, got "two"'],
  [{ key: null }, '/abs/cfg.yaml:4:16: program "web": expected an integer >= 1, got "two"'],
  [
    {
      line: null,
      column: null,
      program: null,
      key: null,
      message: "cannot read the config file: no such file",
    },
    "/abs/cfg.yaml: cannot read the config file: no such file",
  ],
];

for (const [patch, expected] of CASES) {
  Deno.test(`formatConfigIssue() renders ${JSON.stringify(patch)} on one line`, () => {
    assert.equal(formatConfigIssue({ ...base, ...patch }), expected);
  });
}
