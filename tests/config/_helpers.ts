/**
 * Shared helpers for the config tests: parse text as a fixed file, with a fake passwd.
 *
 * @module
 */

import assert from "node:assert/strict";
import { accountLookup, parsePasswd } from "../../src/config/accounts.ts";
import { type LoadResult, parseConfigText } from "../../src/config/load.ts";
import type { ProgramConfig, TaskmasterConfig } from "../../src/config/types.ts";
import { type ConfigIssue, formatConfigIssue } from "../../src/config/validate.ts";

/** Where test configs pretend to live; relative paths resolve against /cfg. */
export const FILE = "/cfg/taskmaster.yaml";

/** A small passwd database for `user:` tests. */
export const PASSWD = [
  "root:x:0:0:root:/root:/bin/bash",
  "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
  "alice:x:1000:1000:Alice:/home/alice:/bin/zsh",
].join("\n");

export const lookupUser = accountLookup(parsePasswd(PASSWD));

/** Parses `text` as {@link FILE}, as root unless told otherwise. */
export function parse(text: string, isRoot = true): LoadResult {
  return parseConfigText(text, FILE, { isRoot, lookupUser });
}

/** The config of a text that must be valid (fails the test with its issues otherwise). */
export function valid(text: string, isRoot = true): TaskmasterConfig {
  const r = parse(text, isRoot);
  if (!r.ok) {
    assert.fail(`expected a valid config, got:\n${r.issues.map(formatConfigIssue).join("\n")}`);
  }
  return r.config;
}

/** The issues of a text that must be invalid. */
export function issues(text: string, isRoot = true): ConfigIssue[] {
  const r = parse(text, isRoot);
  if (r.ok) assert.fail("expected issues, but the config is valid");
  return r.issues;
}

/** The formatted issue lines of an invalid text. */
export function lines(text: string, isRoot = true): string[] {
  return issues(text, isRoot).map(formatConfigIssue);
}

/** A file with one program "web" (`cmd: sleep 1` on line 3) plus `extra` lines from line 4. */
export function web(...extra: string[]): string {
  return ["programs:", "  web:", "    cmd: sleep 1", ...extra.map((l) => `    ${l}`), ""].join(
    "\n",
  );
}

/** Program "web" of a valid config built by {@link web}. */
export function webProgram(...extra: string[]): ProgramConfig {
  const p = valid(web(...extra)).programs.get("web");
  assert.ok(p, 'program "web" is missing');
  return p;
}
