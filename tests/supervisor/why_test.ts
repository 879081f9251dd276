import assert from "node:assert/strict";
import { INITIAL_SNAPSHOT } from "../../src/process/snapshot.ts";
import { explain } from "../../src/supervisor/why.ts";
import { program } from "../_helpers/program.ts";

const NOW = Date.parse("2026-12-01T21:00:00Z");

Deno.test("explain() says what a WAITING instance waits for", () => {
  const text = explain({
    name: "api",
    snapshot: { ...INITIAL_SNAPSHOT, state: "WAITING", waitingFor: "db (healthy)" },
    config: program(),
    ready: null,
    history: [{ at: NOW - 2000, level: "info", message: "waiting: api waiting for db (healthy)" }],
    now: NOW,
  });
  assert.equal(
    text,
    "api is WAITING: it is not started yet because it waits for db (healthy); it starts as soon as they are met. Last event 2 s ago: waiting: api waiting for db (healthy).",
  );
});

Deno.test("explain() gives the last health restart's cause and the next retry of a BACKOFF", () => {
  const history = [
    { at: NOW - 9000, level: "info" as const, message: "spawned: 'api' with pid 10" },
    {
      at: NOW - 5000,
      level: "warning" as const,
      message: "unhealthy: api (liveness failed 3 times: HTTP 503), restarting",
    },
    { at: NOW - 4900, level: "info" as const, message: "spawned: 'api' with pid 11" },
    {
      at: NOW - 4000,
      level: "warning" as const,
      message: "exited: api (exit status 1; too quickly)",
    },
  ];
  const text = explain({
    name: "api",
    snapshot: {
      ...INITIAL_SNAPSHOT,
      state: "BACKOFF",
      backoff: 2,
      exitcode: 1,
      stoppedAt: NOW - 500,
      restarts: 1,
    },
    config: program({ startretries: 3 }),
    ready: null,
    history,
    now: NOW,
  });
  assert.match(
    text,
    /^api is BACKOFF: its last start failed \(exit status 1 before starttime\), attempt 2 of 3 retries\./,
  );
  assert.match(
    text,
    /taskmaster has restarted it 1 time; the last restart was 5 s ago after "unhealthy: api \(liveness failed 3 times: HTTP 503\), restarting"\./,
  );
  assert.match(text, /Next retry in 1\.5 s\./);
});
