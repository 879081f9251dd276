import assert from "node:assert/strict";
import { LineStamper, timestampPrefix } from "../../src/output/line_stamp.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("timestampPrefix() is an ISO UTC time with milliseconds and a space", () => {
  assert.equal(
    text(timestampPrefix(Date.UTC(2026, 10, 26, 7, 55, 39, 123))),
    "2026-11-26T07:55:39.123Z ",
  );
});

Deno.test("LineStamper.stamp() prefixes line starts across blocks", () => {
  const s = new LineStamper();
  const p = enc("T ");
  assert.equal(text(s.stamp(enc("a\nb"), p)), "T a\nT b");
  assert.equal(text(s.stamp(enc("c\n\nd\n"), p)), "c\nT \nT d\n");
  assert.equal(text(s.stamp(enc("\n"), p)), "T \n");
  assert.equal(text(s.stamp(enc(""), p)), "");
  assert.equal(text(s.stamp(enc("e"), p)), "T e");
});

Deno.test("LineStamper.stamp() handles many short lines (buffers grow)", () => {
  const s = new LineStamper();
  const block = enc("\n".repeat(5_000));
  const out = text(s.stamp(block, enc("ts ")));
  assert.equal(out, "ts \n".repeat(5_000));
});
