import assert from "node:assert/strict";
import {
  FloodCopier,
  floodCopiesAllowed,
  type FloodCopy,
  FloodEnd,
  holdFloodCopies,
  interruptFloodCopies,
  nativeCopy,
  trackFloodCopy,
} from "../../src/output/native_copy.ts";
import { cString, type Libc, libc } from "../../src/process/libc.ts";
import { openSharedObject } from "../../src/process/shared_object.ts";
import { SHARED_OBJECT_X86_64 } from "../../src/output/native_copy_code.ts";
import { gatedPipe } from "./_gated_pipe.ts";
import { scriptOutput, sha256, tempDir } from "./_helpers.ts";

/** libc and the native loop, which the daemon always has here: without them these tests fail, never skip. */
function ffi(): Libc {
  const c = libc();
  assert.ok(c !== null, "libc through FFI (deno test --allow-all on glibc Linux)");
  assert.ok(nativeCopy() !== null, "native/flood_copy.c loads");
  return c;
}

/** A child writing `script`'s output into a pipe the test reads, started at once. */
async function pipeFrom(script: string): Promise<{ fd: number; child: Deno.ChildProcess }> {
  ffi();
  const { fd, child, go } = await gatedPipe(script);
  await go();
  return { fd, child };
}

/** An empty log file in `dir`, and its inode. */
async function emptyLog(dir: string): Promise<{ path: string; ino: number }> {
  const path = `${dir}/out.log`;
  await Deno.writeTextFile(path, "");
  return { path, ino: (await Deno.stat(path)).ino! };
}

/** Copies until the pipe ends, as the relay does (reading on after a quiet spell). */
async function copyToEnd(fd: number, path: string): Promise<FloodCopy[]> {
  const copier = new FloodCopier();
  const buffer = new Uint8Array(1 << 20);
  const ino = (await Deno.stat(path)).ino!;
  const copies: FloodCopy[] = [];
  for (;;) {
    const copied = await copier.copy(fd, path, ino, buffer, Infinity);
    copies.push(copied);
    if (copied.end === FloodEnd.Eof || copied.end >= FloodEnd.Open) return copies;
    if (copied.end === FloodEnd.Quiet) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("a native flood copy appends a pipe's bytes to the file, byte for byte, to its end", async () => {
  await using dir = await tempDir();
  const c = ffi();
  const path = `${dir.path}/out.log`;
  await Deno.writeTextFile(path, "already here\n");
  const script = "seq 1 2000000; printf 'no newline at the end'";
  const { fd, child } = await pipeFrom(script);
  try {
    const copies = await copyToEnd(fd, path);
    assert.equal(copies.at(-1)!.end, FloodEnd.Eof);
    const expected = await scriptOutput(script);
    const written = copies.reduce((sum, copied) => sum + copied.written, 0);
    assert.equal(written, expected.length);
    const file = await Deno.readFile(path);
    assert.equal(
      await sha256(file),
      await sha256(new Uint8Array([...new TextEncoder().encode("already here\n"), ...expected])),
    );
    // The open line at the end: what the log file needs to know to go on writing after it.
    const last = copies.findLast((copied) => copied.written > 0)!;
    assert.equal(last.afterNewline, "no newline at the end".length);
  } finally {
    c.symbols.close(fd);
    await child.status;
  }
});

Deno.test("a native flood copy refuses a file that is no longer the one expected, reading nothing", async () => {
  await using dir = await tempDir();
  const c = ffi();
  const { path, ino } = await emptyLog(dir.path);
  // Moved away by a logrotate and replaced: the bytes are not the new file's to take here.
  await Deno.rename(path, `${path}.1`);
  await Deno.writeTextFile(path, "");
  const { fd, child } = await pipeFrom("echo one; echo two");
  try {
    await child.status;
    const copied = await new FloodCopier().copy(fd, path, ino, new Uint8Array(4096), Infinity);
    assert.equal(copied.end, FloodEnd.Open);
    assert.equal(copied.written, 0);
    assert.equal(await Deno.readTextFile(path), "");
    assert.equal(await Deno.readTextFile(`${path}.1`), "");
    // The pipe still holds its bytes for the relay's own reads.
    const view = new Uint8Array(64);
    const n = Number(c.symbols.read(fd, view, 64n));
    assert.equal(new TextDecoder().decode(view.subarray(0, n)), "one\ntwo\n");
  } finally {
    c.symbols.close(fd);
  }
});

Deno.test("a native flood copy comes back when interrupted, and when the pipe stays quiet", async () => {
  await using dir = await tempDir();
  const c = ffi();
  const { path, ino } = await emptyLog(dir.path);
  // A writer that never ends: only an interrupt brings the copy back while it writes.
  const { fd, child } = await pipeFrom("exec yes");
  const copier = new FloodCopier();
  try {
    const buffer = new Uint8Array(1 << 16);
    let copied: FloodCopy | null = null;
    let before = 0;
    // Interrupted once it has copied something (a copy that ran its 20 ms first is tried again).
    for (let attempt = 0; attempt < 100 && copied?.end !== FloodEnd.Stop; attempt++) {
      before = (await Deno.stat(path)).size;
      const copying = copier.copy(fd, path, ino, buffer, Infinity);
      assert.ok(copier.running);
      // (A copy begun before `yes` runs comes back quiet: tried again.)
      while (copier.running && (await Deno.stat(path)).size === before) {
        await new Promise((r) => setTimeout(r, 1));
      }
      interruptFloodCopies();
      copied = await copying;
    }
    assert.equal(copied?.end, FloodEnd.Stop);
    assert.ok(copied.written > 0);
    assert.equal(copier.running, false);
    // The last read is at the buffer's start, and it is in the file.
    const file = await Deno.readFile(path);
    assert.equal(file.length, before + copied.written);
    assert.deepEqual(
      buffer.subarray(0, copied.lastRead),
      file.subarray(file.length - copied.lastRead),
    );
    child.kill("SIGKILL");
    await child.status;
    // Writers gone: the copy drains what is left and ends at EOF.
    const rest = await copier.copy(fd, path, ino, buffer, Infinity);
    assert.equal(rest.end, FloodEnd.Eof);
  } finally {
    c.symbols.close(fd);
  }
  // A pipe whose writer is still there but silent: the copy gives up after a quiet spell.
  const quiet = await pipeFrom("sleep 5");
  try {
    const copied = await copier.copy(quiet.fd, path, ino, new Uint8Array(4096), Infinity);
    assert.equal(copied.end, FloodEnd.Quiet);
    assert.equal(copied.written, 0);
  } finally {
    c.symbols.close(quiet.fd);
    quiet.child.kill();
    await quiet.child.status;
  }
});

Deno.test("holdFloodCopies() returns once the copies under way are back and accounted for; none starts until released", async () => {
  await using dir = await tempDir();
  const c = ffi();
  const { path, ino } = await emptyLog(dir.path);
  const { fd, child } = await pipeFrom("exec yes");
  try {
    let accountedFor = false;
    const copying = trackFloodCopy(
      new FloodCopier().copy(fd, path, ino, new Uint8Array(1 << 16), Infinity).then((copied) => {
        accountedFor = true;
        return copied;
      }),
    );
    assert.ok(floodCopiesAllowed());
    const release = await holdFloodCopies();
    assert.ok(accountedFor, "the copy's bookkeeping ran before the hold was granted");
    assert.equal(floodCopiesAllowed(), false);
    assert.ok((await copying).end !== FloodEnd.Eof);
    assert.equal(interruptFloodCopies(), null, "nothing under way any more");
    release();
    release(); // once is enough
    assert.ok(floodCopiesAllowed());
  } finally {
    c.symbols.close(fd);
    child.kill();
    await child.status;
  }
});

Deno.test("a native flood copy writes no more than its budget, cut after a newline, and hands back the rest", async () => {
  await using dir = await tempDir();
  const c = ffi();
  const { path, ino } = await emptyLog(dir.path);
  const { fd, child } = await pipeFrom("seq 1 100000");
  try {
    const buffer = new Uint8Array(1 << 16);
    const copier = new FloodCopier();
    // Copies with what is left of 100,000 bytes until one stops at the limit (seq may be slow to start).
    let written = 0;
    let copied: FloodCopy | null = null;
    for (let attempt = 0; attempt < 1000 && copied?.end !== FloodEnd.Budget; attempt++) {
      copied = await copier.copy(fd, path, ino, buffer, 100_000 - written);
      written += copied.written;
    }
    assert.equal(copied?.end, FloodEnd.Budget);
    const file = await Deno.readFile(path);
    assert.equal(file.length, written);
    assert.ok(written <= 100_000 && written > 100_000 - 10, `${written}`);
    assert.equal(file.at(-1), 10, "cut after a newline");
    assert.equal(copied.afterNewline, 0);
    assert.ok(copied.lastWritten < copied.lastRead);
    // What the copy read and did not write comes next, for the relay to write after rotating.
    const expected = (await new Deno.Command("seq", { args: ["1", "100000"] }).output()).stdout;
    const rest = buffer.subarray(copied.lastWritten, copied.lastRead);
    assert.deepEqual(
      new Uint8Array([...file, ...rest]),
      expected.subarray(0, file.length + rest.length),
    );
  } finally {
    c.symbols.close(fd);
    child.kill();
    await child.status;
  }
});

Deno.test("a file emptied under a flood copy (copytruncate) goes on from its start, with no hole of zeros", async () => {
  await using dir = await tempDir();
  const c = ffi();
  const { path } = await emptyLog(dir.path);
  const gate = `${dir.path}/gate`;
  await new Deno.Command("mkfifo", { args: [gate] }).output();
  // A flood, then a last line once the truncations are over.
  const { fd, child } = await pipeFrom(
    `yes abcdefghi | head -c 50000000; read x < ${gate}; echo last`,
  );
  let truncations = 0;
  const copying = copyToEnd(fd, path);
  try {
    // logrotate's copytruncate, again and again while the copy writes.
    while (truncations < 20) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      await Deno.truncate(path, 0);
      truncations++;
    }
    await Deno.writeTextFile(gate, "go\n");
    await copying;
  } finally {
    c.symbols.close(fd);
    await child.status;
  }
  const file = await Deno.readFile(path);
  assert.equal(file.indexOf(0), -1, `a NUL byte at ${file.indexOf(0)} of ${file.length}`);
  // What came after the last truncation: the flood's rest, then the last line.
  const text = new TextDecoder().decode(file);
  assert.ok(text.endsWith("abcdefghi\nlast\n"), text.slice(-30));
  const lines = text.split("\n").slice(1, -2);
  assert.equal(lines.findIndex((line) => line !== "abcdefghi"), -1, "whole lines after the first");
});

Deno.test("tm_undo_hole moves bytes written past a truncation to the file's start, and leaves other files alone", async () => {
  await using dir = await tempDir();
  const c = ffi();
  const native = openSharedObject("taskmaster-copy-test", SHARED_OBJECT_X86_64, {
    tm_undo_hole: { parameters: ["i32", "i64", "i64"], result: "void" },
  });
  assert.ok(native !== null);
  const bytesAt = async (name: string, parts: [number, string][]): Promise<string> => {
    const path = `${dir.path}/${name}`;
    using file = await Deno.open(path, { write: true, create: true, truncate: true });
    for (const [at, text] of parts) {
      await file.seek(at, Deno.SeekMode.Start);
      await file.write(new TextEncoder().encode(text));
    }
    return path;
  };
  const undo = (path: string, at: number, n: number) => {
    const fd = c.symbols.open(cString(path), 2 /* O_RDWR */);
    assert.ok(fd >= 0);
    native.symbols.tm_undo_hole(fd, BigInt(at), BigInt(n));
    c.symbols.close(fd);
  };
  try {
    // Emptied, then written at its old end: a hole, then the bytes.
    const emptied = await bytesAt("emptied.log", [[100_000, "after the truncation\n"]]);
    undo(emptied, 100_000, 21);
    assert.equal(await Deno.readTextFile(emptied), "after the truncation\n");
    // Its own bytes before: nothing moves.
    const kept = await bytesAt("kept.log", [[0, "first\n"], [100_000, "later\n"]]);
    undo(kept, 100_000, 6);
    assert.equal((await Deno.stat(kept)).size, 100_006);
    // Bytes other than zeros in the page before ours: nothing moves either.
    const partial = await bytesAt("partial.log", [[98_310, "x"], [100_000, "later\n"]]);
    undo(partial, 100_000, 6);
    assert.equal((await Deno.stat(partial)).size, 100_006);
  } finally {
    native.close();
  }
});

Deno.test("a copy that splices, then nears its budget and finds the pipe ended, hands back only the open line", async () => {
  await using dir = await tempDir();
  const c = ffi();
  const { path, ino } = await emptyLog(dir.path);
  // 2,976 bytes of lines and an open line: one splice (a buffer's length from the budget),
  // then reads (within it), which find the end.
  const script = "yes 0123456789abcde | head -c 2976; printf 'the open line'";
  const { fd, child } = await pipeFrom(script);
  try {
    await child.status;
    const buffer = new Uint8Array(4096);
    const copied = await new FloodCopier().copy(fd, path, ino, buffer, 4096 + 100);
    assert.equal(copied.end, FloodEnd.Eof);
    assert.equal(copied.written, 2976 + "the open line".length);
    // Nothing for the relay to write again: the file has every byte once.
    assert.equal(copied.lastWritten, copied.lastRead);
    assert.equal(new TextDecoder().decode(buffer.subarray(0, copied.lastRead)), "the open line");
    assert.equal(copied.afterNewline, "the open line".length);
    const expected = await scriptOutput(script);
    assert.equal(await sha256(await Deno.readFile(path)), await sha256(expected));
  } finally {
    c.symbols.close(fd);
  }
});
