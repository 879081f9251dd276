/**
 * The daemon's event log: the file, the foreground echo and live
 * subscribers each get every line once, in order.
 */
import assert from "node:assert/strict";
import { EventLog } from "../../src/daemon/event_log.ts";

Deno.test("a burst of events reaches the file, the echo and subscribers whole and in order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "event_log_test_" });
  try {
    let echoed = "";
    let echoes = 0;
    const log = await EventLog.open({
      path: `${dir}/taskmaster.log`,
      maxBytes: 0,
      backups: 0,
      level: "info",
      echo: (text) => {
        echoed += text;
        echoes++;
      },
    });
    const subscribed: string[] = [];
    log.subscribe((line) => subscribed.push(line));
    for (let i = 0; i < 100; i++) log.write("info", `stopped: web:${i} (terminated by SIGTERM)`);
    log.write("debug", "below the level: nowhere");
    await log.close();
    const file = await Deno.readTextFile(`${dir}/taskmaster.log`);
    const words = (text: string) =>
      text.split("\n").filter((l) => l !== "").map((l) => l.replace(/^\S+ /, ""));
    const want = Array.from(
      { length: 100 },
      (_, i) => `INFO stopped: web:${i} (terminated by SIGTERM)`,
    );
    assert.deepEqual(words(file), want);
    assert.deepEqual(words(echoed), want);
    assert.deepEqual(subscribed.map((l) => words(l)[0]), want);
    assert.ok(subscribed.every((l) => l.endsWith("\n") && l.indexOf("\n") === l.length - 1));
    assert.equal(echoes, 1, "one write to the terminal for the burst");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
