import assert from "node:assert/strict";
import { LineStamper, timestampPrefix } from "../../src/output/line_stamp.ts";
import { nativeStamp } from "../../src/output/native_stamp.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const enc = (s: string) => new TextEncoder().encode(s);
const ENGINES = [["native", true], ["JavaScript", false]] as const;

Deno.test("timestampPrefix() is an ISO UTC time with milliseconds and a space", () => {
  assert.equal(
    text(timestampPrefix(Date.UTC(2026, 10, 26, 7, 55, 39, 123))),
    "2026-11-26T07:55:39.123Z ",
  );
});

Deno.test("the native stamper runs on x86_64 Linux (else stamping is 5x slower)", () => {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") return;
  assert.notEqual(nativeStamp(), null, "native/line_stamp.c did not load");
});

for (const [engine, native] of ENGINES) {
  Deno.test(`LineStamper.stamp() (${engine}) prefixes line starts across blocks`, () => {
    const s = new LineStamper({ native });
    const p = enc("T ");
    assert.equal(text(s.stamp(enc("a\nb"), p)), "T a\nT b");
    assert.equal(text(s.stamp(enc("c\n\nd\n"), p)), "c\nT \nT d\n");
    assert.equal(text(s.stamp(enc("\n"), p)), "T \n");
    assert.equal(text(s.stamp(enc(""), p)), "");
    assert.equal(text(s.stamp(enc("e"), p)), "T e");
  });

  Deno.test(`LineStamper.stamp() (${engine}) handles many short lines (buffers grow)`, () => {
    const s = new LineStamper({ native });
    const block = enc("\n".repeat(5_000));
    const out = text(s.stamp(block, enc("ts ")));
    assert.equal(out, "ts \n".repeat(5_000));
    // A larger block after a smaller one, and an empty prefix.
    assert.equal(text(s.stamp(enc("x\n".repeat(9_000)), enc("ts "))), "ts x\n".repeat(9_000));
    assert.equal(text(s.stamp(enc("a\nb\n"), new Uint8Array(0))), "a\nb\n");
  });
}

Deno.test("LineStamper.stamp(): native code and JavaScript write the same bytes", () => {
  // Random blocks of random lines (some empty, some longer than the prefix, some
  // blocks ending mid-line), fed to both in the same order.
  let seed = 17; // xorshift32: the same blocks on every run
  const random = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  let bytes = 0;
  const native = new LineStamper({ native: true });
  const script = new LineStamper({ native: false });
  for (let round = 0; round < 300; round++) {
    const size = random(4) === 0 ? random(8) : random(70_000);
    const block = new Uint8Array(size);
    for (let i = 0; i < size; i++) block[i] = random(random(2) === 0 ? 3 : 200) === 0 ? 10 : 97;
    const prefix = enc(`${round} `.repeat(random(8)));
    const a = native.stamp(block, prefix).slice();
    const b = script.stamp(block, prefix);
    assert.deepEqual(a, b, `round ${round}, block of ${size}`);
    assert.equal(native.atLineStart, script.atLineStart);
    bytes += size;
  }
  assert.ok(bytes > 5_000_000, `only ${bytes} bytes compared`);
});
