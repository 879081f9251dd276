import assert from "node:assert/strict";
import { editDistance, suggest } from "../../src/config/suggest.ts";
import { PROGRAM_KEYS } from "../../src/config/program.ts";
import { SETTINGS_KEYS } from "../../src/config/settings.ts";
import { TOP_LEVEL_KEYS } from "../../src/config/validate.ts";

const CASES: [string, readonly string[], string | undefined][] = [
  ["numproc", PROGRAM_KEYS, "numprocs"],
  ["NumProcs", PROGRAM_KEYS, "numprocs"],
  ["autorestrat", PROGRAM_KEYS, "autorestart"],
  ["exitcode", PROGRAM_KEYS, "exitcodes"],
  ["stop_signal", PROGRAM_KEYS, "stopsignal"],
  ["workdir", PROGRAM_KEYS, "workingdir"],
  ["command", PROGRAM_KEYS, "cmd"],
  ["comand", PROGRAM_KEYS, "cmd"],
  ["environment", PROGRAM_KEYS, "env"],
  ["directory", PROGRAM_KEYS, "workingdir"],
  ["startsecs", PROGRAM_KEYS, "starttime"],
  ["stdout_logfile_maxbytes", PROGRAM_KEYS, "stdout_maxbytes"],
  ["envs", PROGRAM_KEYS, "env"],
  ["usr", PROGRAM_KEYS, "user"],
  ["frobnicate", PROGRAM_KEYS, undefined],
  ["cwd", PROGRAM_KEYS, "workingdir"],
  ["chdir", PROGRAM_KEYS, undefined],
  ["log_level", SETTINGS_KEYS, "loglevel"],
  ["sock", SETTINGS_KEYS, undefined],
  ["programmes", TOP_LEVEL_KEYS, "programs"],
  ["service", TOP_LEVEL_KEYS, "services"],
  ["supervisord", TOP_LEVEL_KEYS, "taskmaster"],
];

for (const [word, known, expected] of CASES) {
  Deno.test(`suggest() offers ${JSON.stringify(expected)} for "${word}"`, () => {
    assert.equal(suggest(word, known), expected);
  });
}

Deno.test("editDistance() counts a swap of neighbouring letters as one edit", () => {
  assert.deepEqual(
    [
      editDistance("TREM", "TERM"),
      editDistance("abc", "abc"),
      editDistance("", "abc"),
      editDistance("kitten", "sitting"),
    ],
    [1, 0, 3, 3],
  );
});
