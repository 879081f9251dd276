import assert from "node:assert/strict";
import { followFile } from "../../src/xmlrpc/tail_follow.ts";
import { waitFor } from "../_helpers/wait_for.ts";

Deno.test("followFile: last 1024 bytes, then appends; truncation and rotation are followed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tm-follow-" });
  const path = `${dir}/app.log`;
  await Deno.writeTextFile(path, "x".repeat(2000) + "\nlast\n");
  const stop = new AbortController();
  const reader = followFile(path, 1024, stop.signal).getReader();
  const decoder = new TextDecoder();
  let seen = "";
  const reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      seen += decoder.decode(value, { stream: true });
    }
  })();
  try {
    await waitFor(() => seen.endsWith("last\n"), "the head");
    assert.equal(seen.length, 1024);
    await Deno.writeTextFile(path, "appended\n", { append: true });
    await waitFor(() => seen.endsWith("appended\n"), "the appended line");
    await Deno.truncate(path, 0);
    await waitFor(() => seen.includes("==> File truncated <==\n"), "the truncation notice");
    await Deno.rename(path, `${path}.1`);
    await Deno.writeTextFile(path, "after rotation\n");
    await waitFor(() => seen.endsWith("after rotation\n"), "the new file");
  } finally {
    stop.abort();
    await reading;
    await Deno.remove(dir, { recursive: true });
  }
});
