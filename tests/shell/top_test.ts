import assert from "node:assert/strict";
import { runCommand } from "../../src/shell/commands.ts";
import { formatBytes, formatTopTable } from "../../src/shell/_top.ts";
import { CapturedOutput, FakePort, proc } from "../_helpers/fake_port.ts";

Deno.test("top's table shows CPU %, memory, restarts and uptime per instance", () => {
  const text = formatTopTable([
    proc("web:0", "RUNNING", { cpu_percent: 12.34, rss_bytes: 5 * 1024 * 1024, restarts: 2 }),
    proc("job", "STOPPED"),
  ], new Date(2026, 11, 1, 20, 30, 5));
  const [title, header, web, job] = text.split("\n");
  assert.match(title!, /20:30:05 - 2 processes, CPU 12\.3%, MEM 5\.0M - press any key to quit/);
  assert.match(header!, /NAME\s+STATE\s+PID\s+CPU%\s+MEM\s+RESTARTS\s+UPTIME/);
  assert.match(web!, /^web:0\s+RUNNING\s+1000\s+12\.3\s+5\.0M\s+2\s+0:01:02$/);
  assert.match(job!, /^job\s+STOPPED\s+-\s+0\.0\s+0\s+0\s+-$/);
  assert.equal(formatBytes(512), "512B");
  assert.equal(formatBytes(1536), "1.5K");
});

Deno.test("top redraws every second until a key, then returns to the prompt", async () => {
  const port = new FakePort([proc("web", "RUNNING")]);
  const output = new CapturedOutput();
  let pressKey!: () => void;
  const key = new Promise<void>((resolve) => (pressKey = resolve));
  const started = Date.now();
  const running = runCommand({ port, output, mode: "local", keys: () => key }, ["top"]);
  await new Promise((r) => setTimeout(r, 1500));
  pressKey();
  const outcome = await running;
  assert.equal(outcome.exitCode, 0);
  const frames = output.stdout.split("press any key").length - 1;
  assert.ok(frames >= 2, `${frames} frames in ${Date.now() - started} ms`);
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(output.stdout.split("press any key").length - 1, frames, "no frame after the key");
});
