/**
 * Where text for the user goes. The shell's commands, `check`, `export`,
 * `import`, `startup`, the daemon's start-up lines and main.ts never touch
 * `Deno.stdout` themselves: they get a {@link TextOutput}, so tests capture
 * text and `no-console` holds. {@link denoOutput} is the real one.
 *
 * @module
 */

/** Two text sinks; each `text` carries its own trailing newline. */
export interface TextOutput {
  /** Command results (status tables, `web: started`, tailed output…). */
  out(text: string): void;
  /** Errors and usage messages. */
  err(text: string): void;
}

const encoder = new TextEncoder();

/** Writes all of `bytes`, looping over short writes. */
function writeAll(file: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += file.writeSync(bytes.subarray(done));
    } catch (error) {
      // `taskmaster ctl status | head -1`: the reader went away. Nothing left
      // to tell anyone, and a stack trace would be worse than silence.
      if (error instanceof Deno.errors.BrokenPipe) return;
      throw error;
    }
  }
}

/**
 * Synchronous writes to the process's stdout and stderr. Synchronous so that
 * lines from commands, readline's prompt and streamed output never reorder.
 */
export const denoOutput: TextOutput = {
  out(text: string): void {
    writeAll(Deno.stdout, encoder.encode(text));
  },
  err(text: string): void {
    writeAll(Deno.stderr, encoder.encode(text));
  },
};
