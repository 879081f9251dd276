import assert from "node:assert/strict";
import {
  checkBasicAuth,
  crossOriginRefusal,
  csrfRefusal,
  newCsrfToken,
} from "../../src/web/security.ts";
import { sha256Hex } from "../../src/config/http.ts";

const creds = { username: "admin", passwordSha256: sha256Hex("pa:ss wörd") };
const basic = (text: string) =>
  `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(text)))}`;

Deno.test("checkBasicAuth: right, wrong and missing credentials", () => {
  assert.equal(checkBasicAuth(basic("admin:pa:ss wörd"), creds), "ok");
  assert.equal(checkBasicAuth(basic("admin:pa:ss word"), creds), "wrong");
  assert.equal(checkBasicAuth(basic("Admin:pa:ss wörd"), creds), "wrong");
  assert.equal(checkBasicAuth(basic("admin"), creds), "wrong");
  assert.equal(checkBasicAuth("Basic !!!", creds), "wrong");
  assert.equal(checkBasicAuth(null, creds), "missing");
  assert.equal(checkBasicAuth("Bearer x", creds), "missing");
});

Deno.test("cross-origin browser requests are refused; same-origin and scripts pass", () => {
  const req = (headers: Record<string, string>, method = "POST") =>
    new Request("http://127.0.0.1:9001/v1/stop", { method, headers });
  assert.equal(crossOriginRefusal(req({})), null);
  assert.equal(crossOriginRefusal(req({ origin: "http://127.0.0.1:9001" })), null);
  assert.match(crossOriginRefusal(req({ origin: "http://evil.example" }))!, /Origin/);
  assert.match(crossOriginRefusal(req({ "sec-fetch-site": "cross-site" }))!, /cross-site/);
  assert.match(crossOriginRefusal(req({ "sec-fetch-site": "same-site" }))!, /same-site/);
  assert.equal(crossOriginRefusal(req({ "sec-fetch-site": "same-origin" })), null);
});

Deno.test("state-changing browser requests need the CSRF token; reads and scripts do not", () => {
  const token = newCsrfToken();
  assert.match(token, /^[0-9a-f]{64}$/);
  assert.notEqual(token, newCsrfToken());
  const req = (headers: Record<string, string>, method = "POST") =>
    new Request("http://127.0.0.1:9001/v1/stop", { method, headers });
  const browser = { origin: "http://127.0.0.1:9001" };
  assert.match(csrfRefusal(req(browser), token)!, /CSRF token/);
  assert.match(csrfRefusal(req({ ...browser, "x-csrf-token": "nope" }), token)!, /CSRF/);
  assert.equal(csrfRefusal(req({ ...browser, "x-csrf-token": token }), token), null);
  assert.equal(csrfRefusal(req(browser, "GET"), token), null);
  assert.equal(csrfRefusal(req({}), token), null, "curl with credentials");
});
