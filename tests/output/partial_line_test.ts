/**
 * Issue 18: output without a trailing newline reaches the file (never held
 * back), byte-exact, while the whole-line rule still protects shared files.
 */
import assert from "node:assert/strict";
import { OutputHub } from "../../src/output/output_hub.ts";
import type { OutputTarget } from "../../src/output/relay.ts";
import { exists, tempDir, waitFor } from "./_helpers.ts";

const target = (path: string, overrides: Partial<OutputTarget> = {}): OutputTarget => ({
  path,
  maxBytes: 0,
  backups: 0,
  timestamps: false,
  flushPartialAfterMs: 200,
  ...overrides,
});

const STAMP = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z `;
const read = (path: string) => Deno.readTextFile(path).catch(() => "");
const encoder = new TextEncoder();

/** `sh -c script` whose stdin the test writes lines to (one `read` each). */
function driven(script: string) {
  const child = new Deno.Command("sh", {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const stdin = child.stdin.getWriter();
  let running = true;
  child.status.then(() => running = false);
  return {
    child,
    get running() {
      return running;
    },
    step: () => stdin.write(encoder.encode("go\n")),
    end: async () => {
      await stdin.close().catch(() => {});
      await child.status;
    },
  };
}

Deno.test("a prompt without newline reaches its file while the program waits for input", async () => {
  await using dir = await tempDir();
  const out = `${dir.path}/prompt.log`;
  const hub = new OutputHub();
  const p = driven(`printf 'Enter password: '; read pw; echo "got $pw"`);
  const relay = hub.relay("prompt:stdout", p.child.stdout, target(out));
  await waitFor(async () => (await read(out)) === "Enter password: ", "the prompt in the file");
  assert.ok(p.running, "the program is still waiting for its input");
  await p.step();
  await p.end();
  await relay;
  await hub.close();
  assert.equal(await read(out), "Enter password: got go\n");
});

for (const timestamps of [false, true]) {
  Deno.test(
    `a partial line, then its rest a second later: exact bytes${
      timestamps ? ", one timestamp" : ""
    }`,
    async () => {
      await using dir = await tempDir();
      const out = `${dir.path}/half.log`;
      const hub = new OutputHub();
      const child = new Deno.Command("sh", {
        args: ["-c", "printf 'half'; sleep 1; printf ' rest\\nnext\\n'"],
        stdout: "piped",
      }).spawn();
      const relay = hub.relay("half:stdout", child.stdout, target(out, { timestamps }));
      const early = await waitFor(async () => {
        const text = await read(out);
        return text.endsWith("half") ? text : null;
      }, "the partial line");
      await Promise.all([relay, child.status]);
      await hub.close();
      const text = await read(out);
      if (timestamps) {
        assert.match(early, new RegExp(`^${STAMP}half$`));
        assert.match(text, new RegExp(`^${STAMP}half rest\n${STAMP}next\n$`));
        assert.equal(text.slice(0, early.length), early);
      } else {
        assert.equal(early, "half");
        assert.equal(text, "half rest\nnext\n");
      }
    },
  );
}

Deno.test("blobs without newline are byte-exact in the file while the program still runs, whatever the write sizes", async () => {
  await using dir = await tempDir();
  const fixture = new URL("../fixtures/blob_writer.ts", import.meta.url).pathname;
  // [bytes, seed, largest write]: reads end at every kind of place.
  const rounds: [number, number, number][] = [
    [50_000_000, 1, 65_536],
    [10_000_019, 2, 300_000],
    [5_000_000, 3, 4_093],
    [2_000_003, 4, 131_072],
    [300_007, 5, 1_000],
    [20_011, 6, 7],
  ];
  const hub = new OutputHub();
  for (const [total, seed, maxWrite] of rounds) {
    const out = `${dir.path}/blob-${seed}.log`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", fixture, String(total), String(seed), String(maxWrite)],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    let exited = false;
    child.status.then(() => exited = true);
    const relay = hub.relay(`blob${seed}:stdout`, child.stdout, target(out));
    await waitFor(
      async () => (await Deno.stat(out).catch(() => null))?.size === total,
      { timeout: 60_000, what: `${total} bytes (seed ${seed})` },
    );
    assert.ok(!exited, "the writer is still running: nothing ended the stream");
    const bytes = await Deno.readFile(out);
    for (let i = 0; i < total; i++) {
      if (bytes[i] !== 97 + (i % 26)) assert.fail(`byte ${i} of ${total} differs (seed ${seed})`);
    }
    await child.stdin.close();
    await Promise.all([relay, child.status]);
    assert.equal((await Deno.stat(out)).size, total);
  }
  await hub.close();
});

Deno.test("carriage-return progress reaches followers and the file as it happens", async () => {
  await using dir = await tempDir();
  const out = `${dir.path}/progress.log`;
  const hub = new OutputHub();
  let followed = "";
  const decoder = new TextDecoder();
  hub.subscribe("bar:stdout", (chunk) => followed += decoder.decode(chunk, { stream: true }));
  const p = driven(`for i in 1 2 3; do printf '\\rprogress %d%%' $i; read x; done; printf '\\n'`);
  const relay = hub.relay("bar:stdout", p.child.stdout, target(out));
  let expected = "";
  for (const i of [1, 2, 3]) {
    expected += `\rprogress ${i}%`;
    await waitFor(() => followed === expected, `progress ${i} followed`);
    await waitFor(async () => (await read(out)) === expected, `progress ${i} in the file`);
    await p.step();
  }
  await p.end();
  await relay;
  await hub.close();
  assert.equal(await read(out), `${expected}\n`);
});

Deno.test("a shared file keeps lines written in pieces whole", async () => {
  await using dir = await tempDir();
  const out = `${dir.path}/shared.log`;
  const fixture = new URL("../fixtures/line_pieces.ts", import.meta.url).pathname;
  const hub = new OutputHub();
  const count = 4_000;
  const writers = ["A", "B"].map((name, i) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", fixture, name, String(count), String(i + 1)],
      stdout: "piped",
    }).spawn();
    // A long quiet period: this test is about pieces, not about pauses.
    const relay = hub.relay(
      `${name}:stdout`,
      child.stdout,
      target(out, { flushPartialAfterMs: 5_000 }),
    );
    return Promise.all([relay, child.status]);
  });
  await Promise.all(writers);
  await hub.close();
  const next = { A: 0, B: 0 };
  const text = await read(out);
  assert.ok(text.endsWith("\n"));
  for (const line of text.slice(0, -1).split("\n")) {
    const match = /^([AB]) (\d+) (p*)$/.exec(line);
    assert.ok(match, `a line was cut into: ${JSON.stringify(line.slice(0, 80))}`);
    const name = match[1] as "A" | "B";
    const i = Number(match[2]);
    assert.equal(i, next[name]++, `${name}'s lines in order`);
    assert.equal(match[3]?.length, (i * 37) % 201);
  }
  assert.deepEqual(next, { A: count, B: count });
});

for (const timestamps of [false, true]) {
  Deno.test(
    `a shared file gets a paused partial line after the quiet period; another line then starts on a line of its own${
      timestamps ? " (with its own timestamp)" : ""
    }`,
    async () => {
      await using dir = await tempDir();
      const out = `${dir.path}/shared.log`;
      const hub = new OutputHub();
      const settings = target(out, { timestamps, flushPartialAfterMs: 100 });
      const a = driven(`printf 'A waits'; read x; printf ' done\\n'`);
      const b = driven(`read x; echo 'B line'`);
      const relays = [
        hub.relay("a:stdout", a.child.stdout, settings),
        hub.relay("b:stdout", b.child.stdout, settings),
      ];
      const stamp = timestamps ? STAMP : "";
      await waitFor(
        async () => new RegExp(`^${stamp}A waits$`).test(await read(out)),
        "A's partial",
      );
      await b.step();
      await waitFor(async () => (await read(out)).includes("B line\n"), "B's line");
      await a.step();
      await Promise.all([a.end(), b.end(), ...relays]);
      await hub.close();
      assert.match(
        await read(out),
        new RegExp(`^${stamp}A waits\n${stamp}B line\n${stamp} done\n$`),
      );
    },
  );
}

Deno.test("rotation moves an open line whole to the fresh file", async () => {
  await using dir = await tempDir();
  const out = `${dir.path}/r.log`;
  const hub = new OutputHub();
  const p = driven(`printf '0123456789\\n0123'; read x; printf '456789\\nab\\n'`);
  const relay = hub.relay("r:stdout", p.child.stdout, target(out, { maxBytes: 20, backups: 2 }));
  await waitFor(async () => (await read(out)) === "0123456789\n0123", "the open line");
  await p.step();
  await p.end();
  await relay;
  await hub.close();
  assert.equal(await read(`${out}.1`), "0123456789\n");
  assert.equal(await read(out), "0123456789\nab\n");
  assert.equal(await exists(`${out}.2`), false);
});
