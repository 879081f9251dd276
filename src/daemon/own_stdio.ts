/**
 * The daemon's own stdout and stderr: lines for whoever started it, and
 * the `--detach` handshake. They may be gone (a detached daemon's parent
 * has exited), so writing to them never fails; the event log has
 * everything anyway.
 *
 * @module
 */

import type { Supervisor } from "../supervisor/supervisor.ts";
import { denoOutput } from "../util/text_output.ts";
import { waitForLaunch } from "./launch_wait.ts";
import { silenceStdio } from "./quiet_stdio.ts";

/** Writes a line to our own stdout or stderr, if anyone is listening. */
export function tell(stream: "out" | "err", text: string): void {
  try {
    denoOutput[stream](text.endsWith("\n") ? text : `${text}\n`);
  } catch {
    // Nobody is listening.
  }
}

/**
 * Tells a `--detach` parent we are up (with `--wait`, once the launch is
 * over or a shutdown began (`stopping`), naming what is not running). The
 * parent stops reading then; our stderr stays a pipe nobody reads, so it is
 * pointed at /dev/null and nothing is written to it afterwards. False when
 * that could not be done.
 */
export async function readyForParent(
  supervisor: Supervisor,
  wait: boolean,
  stopping: Promise<void>,
): Promise<boolean> {
  const failed = wait
    ? await waitForLaunch({
      status: () => supervisor.status(),
      onChange: (listener) => supervisor.onChange(listener),
      autostart: (p) => supervisor.config.programs.get(p.program)?.autostart ?? false,
    }, stopping)
    : [];
  tell("err", `ready ${Deno.pid}${failed.length > 0 ? ` not running: ${failed.join(", ")}` : ""}`);
  return silenceStdio();
}
