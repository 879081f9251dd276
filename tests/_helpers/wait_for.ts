/** How long and how often {@link waitFor} polls, and what it reports on timeout. */
export interface WaitOptions {
  readonly timeout?: number;
  readonly interval?: number;
  readonly what?: string;
}

/**
 * Polls `check` until it returns a truthy value or the deadline passes. The
 * second argument is the options, or just what is awaited (then a timeout).
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: WaitOptions | string = {},
  timeoutMs?: number,
): Promise<NonNullable<T>> {
  const { timeout = timeoutMs ?? 60_000, interval = 5, what = "condition" } =
    typeof options === "string" ? { what: options } : options;
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      // A check that never settles (a daemon that cannot answer) fails at the deadline too.
      const value = await settledBy(check(), deadline);
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeout} ms waiting for ${what}${last ? `: ${last}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** `value`, or a rejection once `deadline` (epoch ms) passes with it still pending. */
async function settledBy<T>(value: T | Promise<T>, deadline: number): Promise<T> {
  if (!(value instanceof Promise)) return value;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error("a check was still pending at the deadline")),
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([value, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether a process with this pid exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Whether the pid exists at all, zombies included (a zombie means nobody reaped it). */
export function exists(pid: number): boolean {
  try {
    Deno.readTextFileSync(`/proc/${pid}/stat`);
    return true;
  } catch {
    return false;
  }
}
