import assert from "node:assert/strict";
import { followFile } from "../../src/output/follow.ts";
import { tempDir, waitFor } from "./_helpers.ts";

Deno.test("followFile() yields appended bytes, then follows a rotated file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/events.log`;
  await Deno.writeTextFile(path, "old\n");
  const controller = new AbortController();
  let seen = "";
  const done = (async () => {
    for await (const chunk of followFile(path, { signal: controller.signal, intervalMs: 20 })) {
      seen += new TextDecoder().decode(chunk);
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 60));
  await Deno.writeTextFile(path, "one\n", { append: true });
  await waitFor(() => seen === "one\n", "one");
  await Deno.rename(path, `${path}.1`);
  await Deno.writeTextFile(path, "two\n");
  await waitFor(() => seen === "one\ntwo\n", "two");
  controller.abort();
  await done;
  assert.equal(seen, "one\ntwo\n");
});

Deno.test("followFile() starts from the end minus `from` and waits for a missing file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/late.log`;
  const controller = new AbortController();
  let seen = "";
  const done = (async () => {
    for await (const chunk of followFile(path, { signal: controller.signal, intervalMs: 20 })) {
      seen += new TextDecoder().decode(chunk);
    }
  })();
  await Deno.writeTextFile(path, "hello\n");
  await waitFor(() => seen === "hello\n", "hello");
  controller.abort();
  await done;
  const c2 = new AbortController();
  let tail = "";
  for await (const chunk of followFile(path, { signal: c2.signal, from: -3, intervalMs: 20 })) {
    tail += new TextDecoder().decode(chunk);
    c2.abort();
  }
  assert.equal(tail, "lo\n");
});
