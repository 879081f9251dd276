import assert from "node:assert/strict";
import { COMMAND_NAMES } from "../../src/shell/commands.ts";
import {
  completeLine,
  completionNames,
  createCompleter,
  needsNames,
} from "../../src/shell/completer.ts";
import { FakePort, proc } from "../_helpers/fake_port.ts";

const names = ["web", "web:0", "web:1", "worker"];

Deno.test("completeLine() completes command names first", () => {
  assert.deepEqual(completeLine("", names), [[...COMMAND_NAMES], ""]);
  assert.deepEqual(completeLine("st", names), [["start", "status", "stop"], "st"]);
  assert.deepEqual(completeLine("vers", names), [["version"], "vers"]);
  assert.deepEqual(completeLine("nothing", names), [[], "nothing"]);
});

Deno.test("completeLine() completes process names and all after name commands", () => {
  assert.deepEqual(completeLine("start w", names), [["web", "web:0", "web:1", "worker"], "w"]);
  assert.deepEqual(completeLine("why wo", names), [["worker"], "wo"]);
  assert.deepEqual(completeLine("stop web:", names), [["web:0", "web:1"], "web:"]);
  assert.deepEqual(completeLine("restart web:0 a", names), [["all"], "a"]);
  assert.deepEqual(completeLine("status --j", names), [["--json"], "--j"]);
  assert.deepEqual(completeLine("pid ", names), [["all", ...names], ""]);
});

Deno.test("completeLine() knows each command's argument kinds", () => {
  assert.deepEqual(completeLine("signal H", names), [["HUP"], "H"]);
  assert.deepEqual(completeLine("signal HUP wo", names), [["worker"], "wo"]);
  assert.deepEqual(completeLine("tail -f -n 20 wor", names), [["worker"], "wor"]);
  assert.deepEqual(completeLine("tail web:0 std", names), [["stdout", "stderr"], "std"]);
  assert.deepEqual(completeLine("tail web:0 stdout ", names), [[], ""]);
  assert.deepEqual(completeLine("attach web:", names), [["web:0", "web:1"], "web:"]);
  assert.deepEqual(completeLine("attach web:0 ", names), [[], ""]);
  assert.deepEqual(completeLine("help ta", names), [["tail"], "ta"]);
  assert.deepEqual(completeLine("reload ", names), [[], ""]);
});

Deno.test("completionNames() lists instances and programs once, sorted", () => {
  assert.deepEqual(
    completionNames([proc("web:1", "RUNNING"), proc("web:0", "RUNNING"), proc("db", "STOPPED")]),
    ["db", "web", "web:0", "web:1"],
  );
});

Deno.test("needsNames() asks for live names only where they are completed", () => {
  assert.equal(needsNames("sta"), false);
  assert.equal(needsNames("start "), true);
  assert.equal(needsNames("start w"), true);
  assert.equal(needsNames("signal "), false);
  assert.equal(needsNames("signal HUP "), true);
  assert.equal(needsNames("help "), false);
});

Deno.test("createCompleter() fetches names from status, cached for the TTL", async () => {
  const port = new FakePort([proc("web:0", "RUNNING"), proc("api", "STOPPED")]);
  let now = 1000;
  const complete = createCompleter(port, { ttlMs: 1000, now: () => now });
  assert.deepEqual(await complete("start a"), [["all", "api"], "a"]);
  assert.deepEqual(await complete("stop w"), [["web", "web:0"], "w"]);
  assert.equal(port.callsOf("status").length, 1);
  // Command-name completion never asks the supervisor, and answers at once
  // (a Tab followed by Enter in one burst must complete before the Enter).
  const commands = complete("st");
  assert.ok(!(commands instanceof Promise));
  assert.deepEqual(commands, [["start", "status", "stop"], "st"]);
  assert.equal(port.callsOf("status").length, 1);
  // Cached names answer at once too; stale ones are refreshed in the background.
  port.processes = [proc("new", "RUNNING")];
  now += 1500;
  assert.deepEqual(complete("start "), [["all", "api", "web", "web:0"], ""]);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(port.callsOf("status").length, 2);
  assert.deepEqual(complete("start n"), [["new"], "n"]);
});

Deno.test("createCompleter() falls back to the last names when status fails", async () => {
  const port = new FakePort([proc("web", "RUNNING")]);
  let now = 0;
  const complete = createCompleter(port, { ttlMs: 10, now: () => now });
  assert.deepEqual(await complete("stop w"), [["web"], "w"]);
  port.errors.status = new Error("daemon gone");
  now = 100;
  assert.deepEqual(await complete("stop w"), [["web"], "w"]);
  const fresh = createCompleter(port);
  assert.deepEqual(await fresh("stop w"), [[], "w"]);
});
