/**
 * Real receivers for alert tests: an HTTP server that records POSTs and
 * answers as told, and syslog listeners (UDP, TCP, unix datagram).
 *
 * @module
 */

import dgram from "node:dgram";

/** One received webhook call. */
export interface Received {
  readonly at: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** An HTTP server on 127.0.0.1:0 recording every request. */
export class HookServer implements AsyncDisposable {
  readonly received: Received[] = [];
  /** Status to answer with, per request number (0-based); default 200. */
  answer: (n: number) => number | "hang" = () => 200;
  #server: Deno.HttpServer;
  #count = 0;
  #hanging = new AbortController();
  readonly url: string;

  constructor() {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (request) => {
        const n = this.#count++;
        const text = await request.text();
        this.received.push({ at: Date.now(), headers: request.headers, body: JSON.parse(text) });
        const answer = this.answer(n);
        if (answer === "hang") {
          await new Promise((resolve) => this.#hanging.signal.addEventListener("abort", resolve));
          return new Response("late", { status: 200 });
        }
        return new Response(answer === 204 ? null : "", { status: answer });
      },
    );
    this.url = `http://127.0.0.1:${(this.#server.addr as Deno.NetAddr).port}/hook`;
  }

  /** Bodies received so far. */
  bodies(): Record<string, unknown>[] {
    return this.received.map((r) => r.body);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#hanging.abort();
    await this.#server.shutdown();
  }
}

/** A UDP listener collecting datagrams as text. */
export async function udpListener(): Promise<
  { port: number; lines: string[]; close(): void }
> {
  const socket = dgram.createSocket("udp4");
  const lines: string[] = [];
  socket.on("message", (msg: Uint8Array) => lines.push(new TextDecoder().decode(msg)));
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  return { port: socket.address().port, lines, close: () => socket.close() };
}

/** A TCP listener collecting newline-framed lines. */
export function tcpListener(): { port: number; lines: string[]; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const lines: string[] = [];
  const conns: Deno.Conn[] = [];
  (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      (async () => {
        let buffer = "";
        const decoder = new TextDecoder();
        try {
          for await (const chunk of conn.readable) {
            buffer += decoder.decode(chunk, { stream: true });
            let i;
            while ((i = buffer.indexOf("\n")) >= 0) {
              lines.push(buffer.slice(0, i));
              buffer = buffer.slice(i + 1);
            }
          }
        } catch {
          // closed
        }
      })();
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    lines,
    close: () => {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}

const LIBC = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
} as const;

/** A unix datagram socket at `path` (as /dev/log is), read by polling. */
export function unixDatagramListener(path: string): { lines: string[]; close(): void } {
  const libc = Deno.dlopen("libc.so.6", LIBC);
  const fd = libc.symbols.socket(1, 2 | 0o4000, 0);
  const addr = new Uint8Array(110);
  new DataView(addr.buffer).setUint16(0, 1, true);
  addr.set(new TextEncoder().encode(path), 2);
  if (libc.symbols.bind(fd, addr, addr.length) !== 0) throw new Error(`bind ${path} failed`);
  const lines: string[] = [];
  const buffer = new Uint8Array(65536);
  const timer = setInterval(() => {
    for (;;) {
      const n = Number(libc.symbols.recv(fd, buffer, BigInt(buffer.length), 0));
      if (n <= 0) return;
      lines.push(new TextDecoder().decode(buffer.subarray(0, n)));
    }
  }, 10);
  return {
    lines,
    close: () => {
      clearInterval(timer);
      libc.symbols.close(fd);
      libc.close();
    },
  };
}

/** A local port nobody listens on (connections are refused). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
