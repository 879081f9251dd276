/**
 * Which output streams of a program go straight to /dev/null: written as
 * `stdout: /dev/null`, with no PROCESS_LOG events asked for and no
 * `log_line` probe watching them. Such a stream needs no pipe: the child
 * writes to /dev/null itself, as under a shell's `>/dev/null` (and as in
 * supervisord, where /dev/null is a file like any other, which nobody can
 * follow), and the daemon neither reads it, nor holds a pipe, a relay and a
 * poll for it, nor drains it when the child ends (issue 17). `null` and
 * `none` discard too but keep the pipe: their live output can be followed
 * (`/v1/processes/NAME/stdout/follow`). A reload that changes the answer
 * restarts the program (diff.ts): a running child cannot be given a pipe.
 *
 * @module
 */

import type { ProgramConfig, StreamConfig } from "./types.ts";

/** Whether each stream of `cfg`'s instances goes straight to /dev/null. */
export interface DiscardedStreams {
  readonly stdout: boolean;
  readonly stderr: boolean;
}

/** The streams of `cfg` that are /dev/null in the child. */
export function discardedStreams(cfg: ProgramConfig): DiscardedStreams {
  // A log_line probe reads both streams.
  const watched = [cfg.readiness, cfg.liveness].some((p) => p?.check.kind === "log_line");
  return {
    stdout: !watched && !cfg.stdoutEvents && isDevNull(cfg.stdout),
    stderr: !watched && !cfg.stderrEvents && isDevNull(cfg.stderr),
  };
}

function isDevNull(stream: StreamConfig): boolean {
  return stream.target.kind === "discard" && stream.target.devNull === true;
}
