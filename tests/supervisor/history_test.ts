import assert from "node:assert/strict";
import { HISTORY_LENGTH, InstanceHistory } from "../../src/supervisor/history.ts";

const AT = Date.parse("2026-12-03T18:00:00Z");

Deno.test("an instance's history gives its events oldest first, each as recorded", () => {
  const history = new InstanceHistory();
  history.record("web:0", { at: AT, level: "info", message: "spawned: 'web:0' with pid 10" });
  history.record("web:1", { at: AT + 1, level: "error", message: "exited: web:1 (exit status 2)" });
  history.record("web:0", { at: AT + 2, level: "warning", message: "stopped: web:0" });
  assert.deepEqual(history.of("web:0"), [
    { at: AT, level: "info", message: "spawned: 'web:0' with pid 10" },
    { at: AT + 2, level: "warning", message: "stopped: web:0" },
  ]);
  assert.deepEqual(history.of("web:1"), [
    { at: AT + 1, level: "error", message: "exited: web:1 (exit status 2)" },
  ]);
  assert.deepEqual(history.of("db"), []);
});

Deno.test("an instance's history keeps its last HISTORY_LENGTH events", () => {
  const history = new InstanceHistory();
  const extra = 7;
  for (let i = 0; i < HISTORY_LENGTH + extra; i++) {
    history.record("web", { at: AT + i, level: "info", message: `event ${i}` });
  }
  const kept = history.of("web");
  assert.equal(kept.length, HISTORY_LENGTH);
  assert.deepEqual(kept[0], { at: AT + extra, level: "info", message: `event ${extra}` });
  assert.deepEqual(kept.at(-1), {
    at: AT + HISTORY_LENGTH + extra - 1,
    level: "info",
    message: `event ${HISTORY_LENGTH + extra - 1}`,
  });
});
