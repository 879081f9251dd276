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

/**
 * Reads one whole answer from `conn`: up to its content-length, or to the
 * connection's end for an answer without one (a chunked or streamed body
 * on a connection kept open would wait for the server's idle timeout).
 */
export async function readAnswer(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(65536);
  let bytes = new Uint8Array(0);
  while (!whole(bytes)) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) break;
    const more = new Uint8Array(bytes.length + n);
    more.set(bytes);
    more.set(buffer.subarray(0, n), bytes.length);
    bytes = more;
  }
  return new TextDecoder().decode(bytes);
}

const HEAD_END = [13, 10, 13, 10];

/** Whether `bytes` hold an answer's head and the body its content-length announces. */
function whole(bytes: Uint8Array): boolean {
  let head = -1;
  for (let i = 0; i + 4 <= bytes.length && head < 0; i++) {
    if (HEAD_END.every((b, k) => bytes[i + k] === b)) head = i;
  }
  if (head < 0) return false;
  const headText = new TextDecoder().decode(bytes.subarray(0, head + 2));
  const length = /\r\ncontent-length: (\d+)\r\n/i.exec(headText);
  return length !== null && bytes.length - (head + 4) >= Number(length[1]);
}
