import assert from "node:assert/strict";
import type { ByteSource } from "../../src/output/byte_source.ts";
import { outputPoller } from "../../src/process/fd_poller.ts";
import { closeFd, duplicateOutputPipes, lowestFreeFd } from "../../src/process/pipe_fds.ts";
import { outputPipeIdentities } from "../../src/process/pipes.ts";
import { concatBytes } from "../../src/util/bytes.ts";
import { DenoSpawner } from "../../src/process/spawner.ts";
import { relayToNowhere } from "../_helpers/relay.ts";
import { plainSpec as spec } from "../_helpers/spawn_spec.ts";
import { waitFor } from "../_helpers/wait_for.ts";

/** Everything `source` gives until EOF, read the way the relay reads (into an offset view). */
async function readAll(source: ByteSource): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let buffer = new ArrayBuffer(4096);
  for (;;) {
    // One byte of offset: the relay reads behind a held partial line.
    const { chunk, done } = await source.read(new Uint8Array(buffer, 1, buffer.byteLength - 1));
    assert.ok(chunk !== null, "not cancelled");
    buffer = chunk.buffer as ArrayBuffer;
    assert.equal(chunk.byteOffset, 1);
    parts.push(chunk.slice());
    if (done) break;
  }
  return concatBytes(parts);
}

/** This process's descriptors whose link is one of `targets` (other tests' fds never are). */
function descriptorsNaming(targets: readonly string[]): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      if (targets.includes(Deno.readLinkSync(`/proc/self/fd/${entry.name}`))) {
        found.push(entry.name);
      }
    } catch {
      // Closed meanwhile (the readDir's own descriptor).
    }
  }
  return found;
}

Deno.test("a child's output read through the daemon's own descriptors: every byte of both streams, in order, then EOF", async () => {
  // 3 MB on stdout: more than a pipe holds, so the reader waits on the poller many times.
  const script = "head -c 3000000 /dev/urandom | tee /dev/stderr | sha256sum >&2; echo done";
  const result = new DenoSpawner({ baseEnv: {} }).spawn(
    spec({ argv: ["/bin/sh", "-c", script], env: { PATH: "/usr/bin:/bin" }, directOutput: true }),
  );
  assert.ok(result.ok);
  // The child's pipes, by name: no descriptor of ours may name them once released.
  const pipes = [1, 2].map((fd) => Deno.readLinkSync(`/proc/${result.child.pid}/fd/${fd}`));
  const output = result.child.output;
  assert.ok(output !== undefined, "the pipes were taken as descriptors of ours");
  assert.ok(output.stdout !== null && output.stderr !== null);
  const [stdout, stderr] = await Promise.all([readAll(output.stdout), readAll(output.stderr)]);
  assert.equal(new TextDecoder().decode(stdout), "done\n");
  // stderr: the 3 MB, then sha256sum's line for exactly those bytes.
  const data = new Uint8Array(stderr.subarray(0, 3_000_000));
  const digest = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", data)))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(new TextDecoder().decode(stderr.subarray(3_000_000)), `${digest}  -\n`);
  assert.deepEqual(await result.child.status, { code: 0, signal: null });
  output.stdout.release();
  output.stderr.release();
  assert.deepEqual(descriptorsNaming(pipes), [], "no descriptor of a pipe left open");
});

Deno.test("a quiet pipe: the poller waits only while a reader does, and a cancelled read returns at once, each time", async () => {
  const poller = outputPoller();
  assert.ok(poller !== null);
  const result = new DenoSpawner({ baseEnv: {} }).spawn(
    spec({ argv: ["/bin/sleep", "30"], directOutput: true }),
  );
  assert.ok(result.ok);
  const { output, pid } = result.child;
  assert.ok(output !== undefined && output.stdout !== null && output.stderr !== null);
  try {
    const pending = output.stdout.read(new Uint8Array(1024));
    assert.equal(poller.waiting, true, "an empty pipe is waited for");
    await output.stdout.cancel();
    assert.deepEqual(await pending, { chunk: null, done: true });
    await waitFor(() => !poller.waiting || null, { what: "the wait loop to end" });
    // Again: a loop started after one was ended can be ended too.
    const next = output.stderr.read(new Uint8Array(1024));
    assert.equal(poller.waiting, true, "the other pipe is waited for");
    await output.stderr.cancel();
    assert.deepEqual(await next, { chunk: null, done: true });
    await waitFor(() => !poller.waiting || null, { what: "the second wait loop to end" });
  } finally {
    output.stdout.release();
    output.stderr.release();
    Deno.kill(pid, "SIGKILL");
    await result.child.status;
  }
});

/** A child whose stdout and stderr are pipes, once `ready` holds for its /proc links. */
async function childWithLinks(
  script: string,
  ready: (fd1: string, fd2: string) => boolean,
): Promise<Deno.ChildProcess> {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", script],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await waitFor(() => {
    try {
      const link = (fd: number) => Deno.readLinkSync(`/proc/${child.pid}/fd/${fd}`);
      return ready(link(1), link(2)) || null;
    } catch {
      return null;
    }
  }, { what: "the child's fds as the test wants them" });
  return child;
}

async function end(child: Deno.ChildProcess): Promise<void> {
  child.kill("SIGKILL");
  await child.stdout.cancel();
  await child.stderr.cancel();
  await child.status;
}

Deno.test("a program that already sent its stderr to stdout keeps Deno's streams: no pipe is taken twice", async () => {
  const from = lowestFreeFd();
  assert.ok(from !== null);
  const child = await childWithLinks("exec 2>&1; exec sleep 30", (one, two) => one === two);
  try {
    const pipes = outputPipeIdentities(child.pid);
    assert.equal(pipes[0]?.ino, pipes[1]?.ino, "both fds name the stdout pipe now");
    assert.equal(duplicateOutputPipes(pipes, from), null);
  } finally {
    await end(child);
  }
});

Deno.test("a program that swapped stdout and stderr keeps Deno's streams: no stream goes to the other's log", async () => {
  const from = lowestFreeFd();
  assert.ok(from !== null);
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", "exec 3>&1 1>&2 2>&3 3>&-; echo swapped; exec sleep 30"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Its "swapped" (written to fd 1) comes out of the stderr pipe once the swap is done.
  const reader = child.stderr.getReader();
  assert.equal(new TextDecoder().decode((await reader.read()).value), "swapped\n");
  reader.releaseLock();
  try {
    const pipes = outputPipeIdentities(child.pid);
    assert.ok(pipes[0] !== null && pipes[1] !== null && pipes[0]!.ino !== pipes[1]!.ino);
    assert.equal(duplicateOutputPipes(pipes, from), null);
    // In creation order they are found and taken: the same pipes, as Deno made them.
    const taken = duplicateOutputPipes([pipes[1]!, pipes[0]!], from);
    assert.ok(taken !== null && taken.length === 2);
    for (const fd of taken) closeFd(fd);
  } finally {
    await end(child);
  }
});

Deno.test("only pipes are taken: a child whose stdout is /dev/null keeps Deno's handling", async () => {
  const from = lowestFreeFd();
  assert.ok(from !== null);
  const child = new Deno.Command("/bin/sleep", {
    args: ["30"],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    const [stdout, stderr] = outputPipeIdentities(child.pid);
    assert.equal(stdout, null, "/dev/null is no pipe");
    assert.ok(stderr !== null && stderr !== undefined);
    assert.equal(duplicateOutputPipes([stdout ?? null, stderr], from), null);
    const taken = duplicateOutputPipes([stderr], from);
    assert.ok(taken !== null && taken.length === 1, "the stderr pipe alone is found");
    closeFd(taken[0]!);
  } finally {
    child.kill("SIGKILL");
    await child.stderr.cancel();
    await child.status;
  }
});

/** `script` spawned with its pipes taken, both relayed as the daemon does; `text` grows as they relay. */
function spawnRelayed(script: string) {
  const result = new DenoSpawner({ baseEnv: {} }).spawn(
    spec({ argv: ["/bin/sh", "-c", script], env: { PATH: "/usr/bin:/bin" }, directOutput: true }),
  );
  assert.ok(result.ok);
  const output = result.child.output;
  assert.ok(
    output !== undefined && output.stdout !== null && output.stderr !== null,
    "the pipes were taken",
  );
  const relayed = { text: "", ended: false };
  const decoder = new TextDecoder();
  const sources = [output.stdout, output.stderr];
  const relays = sources.map((source) =>
    relayToNowhere(source, (chunk) => relayed.text += decoder.decode(chunk))
  );
  Promise.all(relays).then(() => relayed.ended = true);
  const release = () => sources.forEach((source) => source.release());
  return { status: result.child.status, relayed, release };
}

Deno.test("a taken child's status settles only once its relay has taken every byte its pipe held", async () => {
  for (let round = 0; round < 5; round++) {
    // The pause: a child gone before its pipes are looked up in /proc keeps
    // Deno's streams (pipe_fds.ts), and this test is about taken pipes.
    const { status, relayed, release } = spawnRelayed("sleep 0.05; head -c 300000 /dev/zero");
    await status;
    // At once, before any other wake-up could bring the rest.
    assert.equal(relayed.text.length, 300_000, `round ${round}: relayed when the exit is reported`);
    await waitFor(() => relayed.ended || null, { what: `round ${round}: both relays at EOF` });
    release();
  }
});

Deno.test("the last writer's bytes and hang-up in one edge: the relay still reaches EOF (a grandchild's last line)", async () => {
  for (let round = 0; round < 10; round++) {
    const { status, relayed, release } = spawnRelayed(
      "sleep 0.02; (sleep 0.1; echo last line) & exit 0",
    );
    await waitFor(() => relayed.ended || null, {
      timeout: 5000,
      what: `round ${round}: both relays at EOF after the grandchild exited`,
    });
    assert.equal(relayed.text, "last line\n");
    await status;
    release();
  }
});

Deno.test("a quiet relay woken with nothing to read (a drain's poke) waits again holding no read", async () => {
  const result = new DenoSpawner({ baseEnv: {} }).spawn(
    spec({ argv: ["/bin/sleep", "30"], directOutput: true }),
  );
  assert.ok(result.ok);
  const { output, pid } = result.child;
  assert.ok(output !== undefined && output.stdout !== null && output.stderr !== null);
  const source = output.stdout;
  const seen = { pending: 0, parks: 0 };
  // The relay's view of the pipe, counting reads still waiting and returns to waiting.
  const watched: ByteSource = {
    async read(view) {
      seen.pending++;
      try {
        return await source.read(view);
      } finally {
        seen.pending--;
      }
    },
    readNow: (view) => source.readNow!(view),
    onReadable(listener) {
      seen.parks++;
      source.onReadable!(listener);
    },
    cancel: () => source.cancel(),
    release: () => source.release(),
  };
  const relay = relayToNowhere(watched, () => {});
  try {
    await waitFor(() => seen.parks === 1 || null, { what: "the relay waiting" });
    await new Promise<void>((drained) => source.drain!(drained));
    await waitFor(() => seen.parks === 2 || null, {
      timeout: 5000,
      what: "the relay waiting again",
    });
    assert.equal(seen.pending, 0, "no read left waiting on the empty pipe");
  } finally {
    Deno.kill(pid, "SIGKILL");
    await result.child.status;
    await relay;
    output.stdout.release();
    output.stderr.release();
  }
});
