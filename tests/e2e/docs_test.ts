/**
 * Runs every `sh` example of README.md and docs/API.md against a real daemon,
 * through `./taskmaster` (a symlink to the checkout's script) in a temp dir,
 * with no Deno on PATH, so the docs and the behaviour cannot drift apart.
 * The block convention is in tests/_helpers/doc_blocks.ts.
 */
import assert from "node:assert/strict";
import {
  type DocBlock,
  type DocCommand,
  runnableBlocks,
  sampleMatches,
} from "../_helpers/doc_blocks.ts";
import { alive, waitFor } from "../_helpers/wait_for.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DOCS = ["README.md", "docs/API.md"];

/**
 * The programs the examples name: `web` (two instances writing both streams)
 * and `db`. Examples must work on this file; extend it when a new example
 * needs more (keep what is here: other examples rely on it).
 */
const APP_YAML = `programs:
  web:
    cmd: "/bin/sh -c 'while :; do echo web $$ up; echo web $$ warn >&2; sleep 0.5; done'"
    numprocs: 2
  db:
    cmd: "/bin/sh -c 'echo db ready; exec sleep 100000'"
`;

/** PATH without any directory holding a `deno`: the script must find its own. */
function pathWithoutDeno(): string {
  return (Deno.env.get("PATH") ?? "/usr/bin:/bin")
    .split(":")
    .filter((dir) => {
      try {
        Deno.statSync(`${dir}/deno`);
        return false;
      } catch {
        return true;
      }
    })
    .join(":");
}

function denoDir(): string {
  return Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
}

interface Ran {
  code: number | null; // null: still running (a follow), stopped by the test
  stdout: string;
  stderr: string;
}

/** Commands that follow output until stopped (`tail -f`, `curl -N`, `attach`, SSE). */
const FOLLOWS = /(\s-f\s|\s-N\s|\sattach\s|\/follow\b|\/events\b)/;

/** What the test does while a follower runs, so that it has something to show. */
const WHILE_FOLLOWING = "./taskmaster ctl -c app.yaml restart web:0";

/**
 * Runs `text` with sh in its own process group, to its end. A follower,
 * once it has printed something, sees {@link WHILE_FOLLOWING} happen, and is
 * stopped once that is done and it has been quiet for a second; its code is
 * then null.
 */
async function run(text: string, cwd: string, env: Record<string, string>): Promise<Ran> {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", text],
    cwd,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  const decoder = new TextDecoder();
  let stdout = "";
  let lastOutput = Date.now();
  const reading = (async () => {
    for await (const chunk of child.stdout) {
      stdout += decoder.decode(chunk, { stream: true });
      lastOutput = Date.now();
    }
  })();
  const stderrText = new Response(child.stderr).text();
  let exited = false;
  const status = child.status.finally(() => (exited = true));
  const follows = FOLLOWS.test(` ${text} `);
  const deadline = Date.now() + (follows ? 30_000 : 60_000);
  let trigger: Promise<Ran> | undefined;
  let triggered = false;
  while (!exited && Date.now() < deadline) {
    if (follows && stdout !== "" && trigger === undefined) {
      trigger = run(WHILE_FOLLOWING, cwd, env).finally(() => (triggered = true));
    }
    if (triggered && Date.now() - lastOutput > 1000) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await trigger;
  const stopped = !exited;
  if (stopped) {
    try {
      Deno.kill(-child.pid, "SIGTERM");
    } catch { /* already gone */ }
  }
  const s = await status;
  await reading;
  return { code: stopped ? null : s.code, stdout, stderr: await stderrText };
}

function where(doc: string, command: DocCommand): string {
  return `${doc}:${command.line}: ${command.text}`;
}

function checkCommand(doc: string, command: DocCommand, ran: Ran): void {
  const context = `${where(doc, command)}\n--- stdout\n${ran.stdout}--- stderr\n${ran.stderr}`;
  if (ran.code !== null) {
    assert.equal(ran.code, command.exitCode, `exit status of ${context}`);
  } else {
    assert.ok(ran.stdout !== "", `still running without output: ${context}`);
  }
  const out = ran.stdout.split("\n");
  const shown = ran.code === null
    ? Math.min(command.sample.length, out.length)
    : command.sample.length;
  for (let i = 0; i < shown; i++) {
    assert.ok(
      sampleMatches(command.sample[i]!, out[i] ?? ""),
      `output line ${i + 1} is not like "${command.sample[i]}": ${context}`,
    );
  }
  if (command.sample.length === 0 && command.text.includes("curl")) {
    assert.ok(!ran.stdout.startsWith('{"error"'), `an API error: ${context}`);
  }
}

async function runBlock(doc: string, block: DocBlock): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tm-docs-" });
  const env: Record<string, string> = {
    PATH: pathWithoutDeno(),
    HOME: dir,
    // Deno's cache stays where it is (it would follow HOME otherwise).
    DENO_DIR: denoDir(),
    S: `${dir}/taskmaster.sock`,
  };
  for (const name of ["NODE_EXTRA_CA_CERTS", "TMPDIR", "LANG"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  let daemonPid: number | undefined;
  try {
    await Deno.writeTextFile(`${dir}/app.yaml`, APP_YAML);
    await Deno.symlink(`${ROOT}taskmaster`, `${dir}/taskmaster`);
    // The shipped examples, for `check -c configs/…` (never started: fixed socket paths).
    await Deno.mkdir(`${dir}/configs`);
    for await (const entry of Deno.readDir(`${ROOT}configs`)) {
      if (entry.isFile) {
        await Deno.copyFile(`${ROOT}configs/${entry.name}`, `${dir}/configs/${entry.name}`);
      }
    }
    const startsItsOwn = block.commands.some((c) => c.text.includes("--detach"));
    if (!startsItsOwn) {
      const started = await run("./taskmaster -c app.yaml --detach --wait", dir, env);
      assert.equal(started.code, 0, `daemon for ${doc}:${block.line}: ${started.stderr}`);
    }
    for (const command of block.commands) {
      if (daemonPid === undefined) {
        daemonPid = await Deno.readTextFile(`${dir}/taskmaster.pid`).then(Number, () => undefined);
      }
      checkCommand(doc, command, await run(command.text, dir, env));
    }
  } finally {
    daemonPid ??= await Deno.readTextFile(`${dir}/taskmaster.pid`).then(Number, () => undefined);
    if (daemonPid !== undefined && alive(daemonPid)) {
      await run("./taskmaster ctl -c app.yaml shutdown", dir, env);
      await waitFor(() => !alive(daemonPid!), { what: `daemon ${daemonPid} to exit` });
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test("every sh example of README.md and docs/API.md works as written", async () => {
  const work: [string, DocBlock][] = [];
  for (const doc of DOCS) {
    const blocks = runnableBlocks(await Deno.readTextFile(`${ROOT}${doc}`));
    assert.ok(blocks.length > 0, `${doc} has examples`);
    work.push(...blocks.map((block): [string, DocBlock] => [doc, block]));
  }
  // Blocks are independent (a temp dir and a daemon each): a few at a time.
  const failures: string[] = [];
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let next = work.shift(); next !== undefined; next = work.shift()) {
      const [doc, block] = next;
      await runBlock(doc, block).catch((e) => failures.push(`${doc}:${block.line}: ${e.message}`));
    }
  }));
  assert.deepEqual(failures, [], failures.join("\n\n"));
});

Deno.test("doc blocks: sh blocks run unless no-run; samples, continuations and promised exits", () => {
  const md = [
    "```sh",
    "a --x \\",
    "  y # exits 3",
    "# out 42 …",
    "#",
    "",
    "b",
    "```",
    "```sh no-run",
    "make test",
    "```",
    "```",
    "taskmaster> status",
    "```",
  ].join("\n");
  const blocks = runnableBlocks(md);
  assert.equal(blocks.length, 1);
  const [a, b] = blocks[0]!.commands;
  assert.equal(a!.text, "a --x   y # exits 3");
  assert.equal(a!.exitCode, 3);
  assert.deepEqual(a!.sample, ["out 42 …", ""]);
  assert.equal(b!.line, 7);
  assert.ok(sampleMatches("out 42 …", "out 7 and more"));
  assert.ok(!sampleMatches("out 42", "out x"));
});
