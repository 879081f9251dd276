/**
 * Raw HTTP/1.1 over a unix socket, for tests that send what a well-behaved
 * client never would (a lying length, a stalled body, garbage).
 *
 * @module
 */

/**
 * Writes `request` (then half-closes when asked) and returns one whole
 * answer: its head, then as many bytes as its content-length says, or all
 * the server sends before it closes. After `timeoutMs` the connection is
 * closed and what came so far is returned.
 */
export async function exchangeRaw(
  path: string,
  request: string,
  { closeWrite = false, timeoutMs = 10_000 }: { closeWrite?: boolean; timeoutMs?: number } = {},
): Promise<string> {
  const conn = await Deno.connect({ transport: "unix", path });
  let closed = false;
  const close = () => {
    if (!closed) conn.close();
    closed = true;
  };
  const timer = setTimeout(close, timeoutMs);
  try {
    await conn.write(new TextEncoder().encode(request));
    if (closeWrite) await conn.closeWrite();
    return await readAnswer(conn);
  } finally {
    clearTimeout(timer);
    close();
  }
}

/** Reads one whole answer from `conn`: up to its content-length, or to the connection's end. */
export async function readAnswer(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(65536);
  let text = "";
  while (!whole(text)) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) break;
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return text;
}

/** Whether `text` holds an answer's head and the body its content-length announces. */
function whole(text: string): boolean {
  const head = text.indexOf("\r\n\r\n");
  if (head < 0) return false;
  const length = /\r\ncontent-length: (\d+)\r\n/i.exec(text.slice(0, head + 2));
  if (length === null) return false;
  return new TextEncoder().encode(text.slice(head + 4)).length >= Number(length[1]);
}
