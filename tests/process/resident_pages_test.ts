import assert from "node:assert/strict";
import { cleanFileMappings, releaseStartupPages } from "../../src/process/resident_pages.ts";
import { readKernelFile } from "../../src/process/kernel_files.ts";

/** One smaps block; `fields` overrides the clean defaults. */
function block(
  header: string,
  fields: Record<string, number> = {},
  flags = "rd ex mr mw me",
): string {
  const values = {
    Rss: 400,
    Anonymous: 0,
    Private_Dirty: 0,
    Shared_Dirty: 0,
    Swap: 0,
    SwapPss: 0,
    ...fields,
  };
  return [
    header,
    `Size:               1024 kB`,
    ...Object.entries(values).map(([key, kb]) => `${key}:${" ".repeat(16 - key.length)}${kb} kB`),
    `VmFlags: ${flags}`,
  ].join("\n");
}

Deno.test("cleanFileMappings() takes only the executable's private read-only mappings of clean file pages", () => {
  const smaps = [
    block("55d0c0000000-55d0c0400000 r-xp 00200000 08:01 131 /usr/bin/deno"),
    // relocated data protected after the write: its pages are the process's own
    block("55d0c0400000-55d0c0500000 r--p 00600000 08:01 131 /usr/bin/deno", { Anonymous: 60 }),
    // the same with those pages swapped out: smaps no longer counts them as anonymous
    block("55d0c0500000-55d0c0600000 r--p 00700000 08:01 131 /usr/bin/deno", { Swap: 12 }),
    block("55d0c0600000-55d0c0700000 r--p 00800000 08:01 131 /usr/bin/deno", { Private_Dirty: 4 }),
    block("55d0c0700000-55d0c0800000 rw-p 00900000 08:01 131 /usr/bin/deno"),
    block("55d0c0800000-55d0c0900000 r--p 00a00000 08:01 131 /usr/bin/deno", {}, "rd mr mw me lo"),
    block("55d0c0900000-55d0c0a00000 r--s 00b00000 08:01 131 /usr/bin/deno"),
    block("55d0c0a00000-55d0c0b00000 r--p 00c00000 08:01 131 /usr/bin/deno", { Rss: 0 }),
    // a library: another thread may dlclose it and map something else there
    block("7f0000400000-7f0000480000 r-xp 00028000 08:01 91 /usr/lib/x86_64-linux-gnu/libc.so.6"),
    block("7f0000100000-7f0000200000 r--p 00000000 00:00 0 "),
    block("7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0                  [vdso]"),
    // the last block of the text counts too
    block("55d0c0b00000-55d0c0b80000 r-xp 00d00000 08:01 131 /usr/bin/deno", { Rss: 512 }),
  ].join("\n") + "\n";
  assert.deepEqual(cleanFileMappings(smaps, "/usr/bin/deno"), [
    { start: 0x55d0c0000000n, length: 0x400000n, residentBytes: 400 * 1024 },
    { start: 0x55d0c0b00000n, length: 0x80000n, residentBytes: 512 * 1024 },
  ]);
});

Deno.test("cleanFileMappings() leaves a mapping alone when the kernel's text lacks a field", () => {
  const cut = "55d0c0000000-55d0c0400000 r-xp 00200000 08:01 131 /usr/bin/deno\n" +
    "Rss:                 400 kB\nAnonymous:             0 kB\n";
  assert.deepEqual(cleanFileMappings(cut, "/usr/bin/deno"), []);
});

function residentFileKb(): number {
  const status = readKernelFile("/proc/self/status") ?? "";
  return Number(/RssFile:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

Deno.test("releaseStartupPages() drops this process's file pages and the process runs on", async () => {
  const before = residentFileKb();
  const released = releaseStartupPages();
  assert.ok(released !== null, "FFI and /proc are available to the tests");
  assert.ok(released.mappings > 0 && released.bytes > 1024 * 1024, JSON.stringify(released));
  assert.ok(residentFileKb() < before, `RssFile ${before} kB -> ${residentFileKb()} kB`);
  // Code, data and libraries mapped back on use: spawn, compile, hash, compress.
  const { stdout } = await new Deno.Command("sh", { args: ["-c", "echo still here"] }).output();
  assert.equal(new TextDecoder().decode(stdout), "still here\n");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode("abc"));
  assert.equal(
    [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join(""),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(new Function("a", "b", "return a * b")(6, 7), 42);
  const gzipped = await new Response(
    new Blob(["x".repeat(10_000)]).stream().pipeThrough(new CompressionStream("gzip"))
      .pipeThrough(new DecompressionStream("gzip")),
  ).text();
  assert.equal(gzipped.length, 10_000);
});
