/**
 * Idle log files give their descriptor back (issue 11: at most 3 fds per
 * instance) and carry on as if they had stayed open: appends, rotation,
 * clear, and reopen after an external move.
 */
import assert from "node:assert/strict";
import { LogFile } from "../../src/output/log_file.ts";
import { tempDir, waitFor } from "./_helpers.ts";
import { holdsFile } from "../_helpers/open_files.ts";

const encoder = new TextEncoder();

async function closedWhenIdle(path: string): Promise<void> {
  await waitFor(() => !holdsFile("self", path), {
    timeout: 30_000,
    what: `${path} closed while idle`,
  });
}

Deno.test("an idle log file closes its descriptor and the next write appends where it left off", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/app.log`;
  const log = await LogFile.open(path, { maxBytes: 0, backups: 0 }, () => {});
  try {
    log.write(encoder.encode("one\ntwo without newline"), "w");
    assert.ok(holdsFile("self", path));
    await closedWhenIdle(path);
    // The open line goes on: same writer, no newline inserted.
    log.write(encoder.encode(" continued\nthree\n"), "w");
    assert.ok(holdsFile("self", path));
    assert.equal(await Deno.readTextFile(path), "one\ntwo without newline continued\nthree\n");
    assert.equal(log.size, "one\ntwo without newline continued\nthree\n".length);
    await closedWhenIdle(path);
  } finally {
    await log.close();
  }
});

Deno.test("a log file opened with keepOpen (the event log) keeps its descriptor while idle", async () => {
  await using dir = await tempDir();
  const kept = `${dir.path}/taskmaster.log`;
  const swept = `${dir.path}/app.log`;
  const keptLog = await LogFile.open(kept, { maxBytes: 0, backups: 0 }, () => {}, {
    keepOpen: true,
  });
  const sweptLog = await LogFile.open(swept, { maxBytes: 0, backups: 0 }, () => {});
  try {
    keptLog.write(encoder.encode("event\n"));
    sweptLog.write(encoder.encode("line\n"));
    // The sweep that closes the other file would have closed this one too.
    await closedWhenIdle(swept);
    assert.ok(holdsFile("self", kept));
    keptLog.write(encoder.encode("later\n"));
    assert.equal(await Deno.readTextFile(kept), "event\nlater\n");
  } finally {
    await keptLog.close();
    await sweptLog.close();
  }
  assert.ok(!holdsFile("self", kept));
});

Deno.test("a log file kept open and emptied behind its back (copytruncate, clearLog) keeps its backups", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/taskmaster.log`;
  await Deno.writeTextFile(`${path}.1`, "REAL BACKUP\n");
  const log = await LogFile.open(path, { maxBytes: 1000, backups: 1 }, () => {}, {
    keepOpen: true,
  });
  try {
    log.write(encoder.encode("x".repeat(899) + "\n"));
    await Deno.truncate(path, 0);
    log.write(encoder.encode("y".repeat(199) + "\n"));
    // 900 + 200 would pass 1000, but the file holds 0 + 200: no rotation.
    assert.equal(await Deno.readTextFile(`${path}.1`), "REAL BACKUP\n");
    assert.equal(await Deno.readTextFile(path), "y".repeat(199) + "\n");
    log.write(encoder.encode("z".repeat(899) + "\n"));
    // Now it does pass 1000: the 200 bytes become the backup.
    assert.equal(await Deno.readTextFile(`${path}.1`), "y".repeat(199) + "\n");
    assert.equal(await Deno.readTextFile(path), "z".repeat(899) + "\n");
  } finally {
    await log.close();
  }
});

Deno.test("an idle log file still rotates at its size, clears, and follows an external move", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/app.log`;
  const log = await LogFile.open(path, { maxBytes: 20, backups: 2 }, () => {});
  try {
    log.write(encoder.encode("0123456789\n"));
    await closedWhenIdle(path);
    // 11 + 11 > 20: the second line goes to a fresh file; the first is app.log.1.
    log.write(encoder.encode("abcdefghij\n"));
    assert.equal(await Deno.readTextFile(`${path}.1`), "0123456789\n");
    assert.equal(await Deno.readTextFile(path), "abcdefghij\n");

    await closedWhenIdle(path);
    await log.clear();
    assert.equal(await Deno.readTextFile(path), "");
    log.write(encoder.encode("after clear\n"));
    assert.equal(await Deno.readTextFile(path), "after clear\n");

    // logrotate moves the file away while it is closed, then sends SIGUSR2 (reopen).
    await closedWhenIdle(path);
    await Deno.rename(path, `${path}.moved`);
    await log.reopen();
    log.write(encoder.encode("fresh\n"));
    assert.equal(await Deno.readTextFile(path), "fresh\n");
    assert.equal(await Deno.readTextFile(`${path}.moved`), "after clear\n");
    assert.equal(log.size, "fresh\n".length);
  } finally {
    await log.close();
  }
});
