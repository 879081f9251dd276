import assert from "node:assert/strict";
import { createWebApp, type WebDeps } from "../../src/web/app.ts";
import type { DashboardSource } from "../../src/web/feed.ts";
import { sha256Hex } from "../../src/config/http.ts";

function deps(extra: Partial<WebDeps> = {}): WebDeps {
  return {
    control: { fetch: () => Response.json({ from: "v1" }) },
    dashboard: {} as DashboardSource,
    metrics: () => Promise.resolve("taskmaster_build_info 1\n"),
    programConfig: () => ({}),
    credentials: null,
    csrfToken: "t".repeat(64),
    ...extra,
  };
}

const get = (app: ReturnType<typeof createWebApp>, path: string, init: RequestInit = {}) =>
  app.fetch(new Request(`http://127.0.0.1:9001${path}`, init));

Deno.test("a mounted app (supervisord's XML-RPC) gets its paths, behind the same gate", async () => {
  const seen: string[] = [];
  const app = createWebApp(deps({
    credentials: { username: "u", passwordSha256: sha256Hex("p") },
    failureDelayMs: 10,
    mount: {
      claims: (path) => path === "/RPC2",
      app: {
        fetch: (request) => {
          seen.push(new URL(request.url).pathname);
          return new Response("<methodResponse/>", { headers: { "content-type": "text/xml" } });
        },
      },
    },
  }));
  const auth = { authorization: `Basic ${btoa("u:p")}` };
  const rpc = await get(app, "/RPC2", { method: "POST", headers: auth, body: "<methodCall/>" });
  assert.equal(rpc.status, 200);
  assert.equal(await rpc.text(), "<methodResponse/>");
  assert.match(rpc.headers.get("content-security-policy")!, /default-src 'none'/);
  assert.deepEqual(seen, ["/RPC2"]);
  const anonymous = await get(app, "/RPC2", { method: "POST", body: "<methodCall/>" });
  assert.equal(anonymous.status, 401);
  assert.deepEqual(seen, ["/RPC2"], "refused before the mounted app");
  assert.equal((await get(app, "/v1/daemon", { headers: auth })).status, 200);
});

Deno.test("unknown pages are 404, other methods on pages 405; every answer has the strict headers", async () => {
  const app = createWebApp(deps());
  const missing = await get(app, "/nope");
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get("x-frame-options"), "DENY");
  const post = await get(app, "/metrics", { method: "POST" });
  assert.equal(post.status, 405);
  const metrics = await get(app, "/metrics");
  assert.equal(await metrics.text(), "taskmaster_build_info 1\n");
  assert.equal(metrics.headers.get("x-content-type-options"), "nosniff");
  assert.equal(metrics.headers.get("referrer-policy"), "no-referrer");
});
