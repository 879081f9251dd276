import assert from "node:assert/strict";
import { type BodyKind, parseBody } from "../../src/api/_bodies.ts";

const NAMES = 'field "names" must be a non-empty array of process names (or ["all"])';
const SIGNAL = 'field "signal" must be a signal name ("HUP") or number';
const CHANNEL = 'field "channel" must be a channel name';

/** Each fault reads as the message of the field it is in, a missing field included. */
const REFUSED: readonly [BodyKind, unknown, string][] = [
  ["depsNames", {}, NAMES],
  ["depsNames", { names: [] }, NAMES],
  ["depsNames", { names: "web" }, NAMES],
  ["depsNames", { names: null }, NAMES],
  ["depsNames", { names: [1] }, NAMES],
  ["depsNames", { names: ["a", ""] }, NAMES],
  ["depsNames", { name: ["web"] }, NAMES],
  ["depsNames", { names: ["web"], no_deps: "x" }, 'field "no_deps" must be true or false'],
  ["depsNames", { names: ["web"], per_name: 1 }, 'field "per_name" must be true or false'],
  [
    "depsNames",
    { force: true, names: ["web"] },
    'unknown field "force" in request body (expected names, no_deps, per_name)',
  ],
  [
    "names",
    { names: ["web"], no_deps: true },
    'unknown field "no_deps" in request body (expected names, per_name)',
  ],
  ["signal", { names: ["db"] }, SIGNAL],
  ["signal", { signal: "", names: ["db"] }, SIGNAL],
  ["signal", { signal: 1.5, names: ["db"] }, SIGNAL],
  ["signal", { signal: 0, names: ["db"] }, SIGNAL],
  // Past 2^53 a number is no longer one exact integer.
  ["signal", { signal: 2 ** 53, names: ["db"] }, SIGNAL],
  ["signal", { signal: 1e21, names: ["db"] }, SIGNAL],
  ["signal", { signal: true, names: ["db"] }, SIGNAL],
  ["signal", { signal: "HUP" }, NAMES],
  // A fault in a known field comes before an unknown one.
  ["signal", { signal: "HUP", names: [], x: 1 }, NAMES],
  ["alertTest", {}, CHANNEL],
  ["alertTest", { channel: "" }, CHANNEL],
  ["alertTest", { channel: 3 }, CHANNEL],
  ["alertTest", { channel: "ops", x: 1 }, 'unknown field "x" in request body (expected channel)'],
];

Deno.test("parseBody() names the field at fault, with one message per field", () => {
  for (const [kind, value, message] of REFUSED) {
    assert.deepEqual(
      parseBody(kind, value),
      { error: message },
      `${kind} ${JSON.stringify(value)}`,
    );
  }
});

Deno.test("parseBody() returns the body, a signal number as its decimal string", () => {
  assert.deepEqual(parseBody("depsNames", { names: ["a"], no_deps: true, per_name: false }), {
    body: { names: ["a"], no_deps: true, per_name: false },
  });
  assert.deepEqual(parseBody("names", { names: ["all"] }), { body: { names: ["all"] } });
  assert.deepEqual(parseBody("signal", { signal: 10, names: ["db"] }), {
    body: { signal: "10", names: ["db"] },
  });
  assert.deepEqual(parseBody("signal", { signal: "HUP", names: ["db"], per_name: true }), {
    body: { signal: "HUP", names: ["db"], per_name: true },
  });
  assert.deepEqual(parseBody("alertTest", { channel: "ops" }), { body: { channel: "ops" } });
});
