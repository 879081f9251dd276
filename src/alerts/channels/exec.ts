/**
 * Exec channel: runs a command (split like `cmd:` of a program, no shell)
 * with the payload JSON on stdin and `TM_*` variables. It runs in its own
 * process group, which is killed when the timeout passes.
 *
 * @module
 */

import type { Spawner } from "../../process/spawner.ts";
import { execEnv, json } from "../payload.ts";
import type { AlertMessage, ExecSpec } from "../types.ts";
import type { Sender } from "./sender.ts";
import { formatSeconds } from "../../util/time_format.ts";

/** Most stderr bytes kept for the error message. */
const STDERR_KEEP = 4096;

/** Runs one command per message. */
export class ExecSender implements Sender {
  readonly #spec: ExecSpec;
  readonly #spawner: Spawner;

  constructor(spec: ExecSpec, spawner: Spawner) {
    this.#spec = spec;
    this.#spawner = spawner;
  }

  async send(message: AlertMessage): Promise<void> {
    const result = this.#spawner.spawn({
      argv: this.#spec.argv,
      env: execEnv(message),
      cwd: null,
      umask: null,
      uid: null,
      gid: null,
      combineOutput: false,
      // The payload, then EOF: a command reading to the end must see it end.
      closableStdin: true,
    });
    if (!result.ok) throw new Error(result.reason);
    const child = result.child;
    const stdin = child.stdin.getWriter();
    // A command that never reads its stdin must not make us wait or fail.
    stdin.write(new TextEncoder().encode(`${json(message)}\n`)).then(() => stdin.close()).catch(
      () => {},
    );
    stdin.closed.catch(() => {});
    child.stdout.pipeTo(new WritableStream()).catch(() => {});
    const stderr = child.stderr === null ? Promise.resolve("") : collect(child.stderr);
    const ms = this.#spec.timeout * 1000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        Deno.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }, ms);
    const status = await child.status.finally(() => clearTimeout(timer));
    if (timedOut) throw new Error(`timed out after ${formatSeconds(ms)}: killed`);
    if (status.code === 0) return;
    const why = (await stderr).trim().split("\n").pop() ?? "";
    const how = status.signal !== null
      ? `killed by ${status.signal}`
      : `exited with status ${status.code}`;
    throw new Error(`${this.#spec.argv[0]} ${how}${why ? `: ${why}` : ""}`);
  }

  close(): void {}
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  try {
    for await (const chunk of stream) {
      text = (text + decoder.decode(chunk, { stream: true })).slice(-STDERR_KEEP);
    }
  } catch {
    // Closed under us: keep what we have.
  }
  return text;
}
