import assert from "node:assert/strict";
import { buildAssets } from "../../web/build.ts";

Deno.test("the dashboard assets compiled into the binary match web/dashboard (run `deno task web`)", async () => {
  const committed = await Deno.readTextFile(
    new URL("../../src/web/_assets.gen.ts", import.meta.url),
  );
  assert.ok(
    committed === await buildAssets(),
    "src/web/_assets.gen.ts is stale: run `deno task web`",
  );
});
