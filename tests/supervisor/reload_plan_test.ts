import assert from "node:assert/strict";
import type { ProcessState } from "../../src/process/state.ts";
import { planReload, reloadReport } from "../../src/supervisor/reload_plan.ts";
import { configOf } from "../_helpers/program.ts";

const config = configOf;

const WEB = "web: {cmd: /bin/sleep 1}";

interface Case {
  readonly rule: string;
  readonly before: readonly string[];
  readonly after: readonly string[];
  /** States of the instances now, by program. */
  readonly states: Readonly<Record<string, readonly ProcessState[]>>;
  /** program → [kind, indexes started] */
  readonly plan: Readonly<Record<string, readonly [string, readonly number[]]>>;
}

const CASES: readonly Case[] = [
  {
    rule: "an added program starts every instance when autostart",
    before: [],
    after: ["web: {cmd: /bin/sleep 1, numprocs: 3}"],
    states: {},
    plan: { web: ["added", [0, 1, 2]] },
  },
  {
    rule: "an added program without autostart starts nothing",
    before: [],
    after: ["web: {cmd: /bin/sleep 1, autostart: false}"],
    states: {},
    plan: { web: ["added", []] },
  },
  {
    rule: "a removed program is removed",
    before: [WEB],
    after: [],
    states: { web: ["RUNNING"] },
    plan: { web: ["removed", []] },
  },
  {
    rule: "a spawn change restarts what ran and leaves what was stopped by hand",
    before: ["web: {cmd: /bin/sleep 1, numprocs: 4}"],
    after: ["web: {cmd: /bin/sleep 2, numprocs: 4}"],
    states: { web: ["RUNNING", "STOPPED", "BACKOFF", "EXITED"] },
    plan: { web: ["changed", [0, 2]] },
  },
  {
    rule: "a spawn change gives a FATAL instance of an autostart program a new chance",
    before: [WEB],
    after: ["web: {cmd: /bin/sleep 2}"],
    states: { web: ["FATAL"] },
    plan: { web: ["changed", [0]] },
  },
  {
    rule: "a spawn change leaves a FATAL instance of a program without autostart",
    before: ["web: {cmd: /bin/sleep 1, autostart: false}"],
    after: ["web: {cmd: /bin/sleep 2, autostart: false}"],
    states: { web: ["FATAL"] },
    plan: { web: ["changed", []] },
  },
  {
    rule: "a spawn change restarts STARTING, WAITING and BLOCKED instances too",
    before: ["web: {cmd: /bin/sleep 1, numprocs: 3}"],
    after: ["web: {cmd: /bin/sleep 2, numprocs: 3}"],
    states: { web: ["STARTING", "WAITING", "BLOCKED"] },
    plan: { web: ["changed", [0, 1, 2]] },
  },
  {
    rule: "a spawn change with more instances starts the new ones by autostart",
    before: ["web: {cmd: /bin/sleep 1, numprocs: 1}"],
    after: ["web: {cmd: /bin/sleep 2, numprocs: 3}"],
    states: { web: ["STOPPED"] },
    plan: { web: ["changed", [1, 2]] },
  },
  {
    rule: "numprocs up starts only the new instances",
    before: ["web: {cmd: /bin/sleep 1, numprocs: 2}"],
    after: ["web: {cmd: /bin/sleep 1, numprocs: 4}"],
    states: { web: ["RUNNING", "STOPPED"] },
    plan: { web: ["updated", [2, 3]] },
  },
  {
    rule: "numprocs up without autostart starts nothing",
    before: ["web: {cmd: /bin/sleep 1, numprocs: 1, autostart: false}"],
    after: ["web: {cmd: /bin/sleep 1, numprocs: 2, autostart: false}"],
    states: { web: ["STOPPED"] },
    plan: { web: ["updated", []] },
  },
  {
    rule: "numprocs down starts nothing (the extra instances stop)",
    before: ["web: {cmd: /bin/sleep 1, numprocs: 3}"],
    after: ["web: {cmd: /bin/sleep 1, numprocs: 1}"],
    states: { web: ["RUNNING", "RUNNING", "RUNNING"] },
    plan: { web: ["updated", []] },
  },
  {
    rule: "a monitoring change is applied live: nothing restarts, a stopped one stays stopped",
    before: ["web: {cmd: /bin/sleep 1, numprocs: 2, startretries: 3}"],
    after: ["web: {cmd: /bin/sleep 1, numprocs: 2, startretries: 9}"],
    states: { web: ["RUNNING", "STOPPED"] },
    plan: { web: ["updated", []] },
  },
  {
    rule: "an unchanged program is left alone",
    before: [WEB],
    after: [WEB],
    states: { web: ["STOPPED"] },
    plan: { web: ["unchanged", []] },
  },
];

for (const c of CASES) {
  Deno.test(`reload plan: ${c.rule}`, () => {
    const plan = planReload(config(...c.before), config(...c.after), (p) => c.states[p] ?? []);
    const got = Object.fromEntries(
      plan.map((p) => [p.name, [p.kind, p.kind === "removed" ? [] : [...p.start]]]),
    );
    assert.deepEqual(got, c.plan);
  });
}

Deno.test("reload plan: several programs at once, and the report names them per kind", () => {
  const plan = planReload(
    config("db: {cmd: /bin/sleep 1}", "web: {cmd: /bin/sleep 1}", "old: {cmd: /bin/sleep 1}"),
    config("db: {cmd: /bin/sleep 1}", "web: {cmd: /bin/sleep 9}", "new: {cmd: /bin/sleep 1}"),
    () => ["RUNNING"],
  );
  assert.deepEqual(reloadReport(plan), {
    added: ["new"],
    changed: ["web"],
    updated: [],
    removed: ["old"],
    unchanged: ["db"],
  });
});
