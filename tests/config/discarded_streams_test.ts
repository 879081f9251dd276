import assert from "node:assert/strict";
import { discardedStreams } from "../../src/config/discarded_streams.ts";
import { webProgram } from "./_helpers.ts";

Deno.test("discardedStreams(): a /dev/null stream nobody reads, and only that", () => {
  assert.deepEqual(discardedStreams(webProgram()), { stdout: false, stderr: false });
  assert.deepEqual(discardedStreams(webProgram("stdout: /dev/null")), {
    stdout: true,
    stderr: false,
  });
  // null and none discard too, but keep the pipe: their live output can be followed.
  assert.deepEqual(discardedStreams(webProgram("stdout: null", "stderr: none")), {
    stdout: false,
    stderr: false,
  });
  assert.deepEqual(
    discardedStreams(
      webProgram("stdout: /dev/null", "stderr: /dev/null", "stderr_events_enabled: true"),
    ),
    { stdout: true, stderr: false },
  );
  assert.deepEqual(
    discardedStreams(
      webProgram("stdout: /dev/null", "stderr: /dev/null", 'liveness: {log_line: "x"}'),
    ),
    { stdout: false, stderr: false },
  );
  // Any other probe reads neither stream.
  assert.deepEqual(
    discardedStreams(
      webProgram("stdout: /dev/null", "stderr: /dev/null", 'readiness: {tcp: "127.0.0.1:1"}'),
    ),
    { stdout: true, stderr: true },
  );
});
