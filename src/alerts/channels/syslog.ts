/**
 * Syslog channel: one RFC 5424 (default for the network) or RFC 3164
 * (default for a local socket) line per message, to a unix datagram socket
 * (`/dev/log`), UDP, or TCP (newline-framed, RFC 6587 non-transparent
 * framing; one connection kept open and remade after an error).
 *
 * @module
 */

import dgram from "node:dgram";
import { severity, syslogText } from "../payload.ts";
import type { AlertMessage, SyslogSpec } from "../types.ts";
import type { Sender } from "./sender.ts";
import { withTimeout } from "../../util/with_timeout.ts";
import { sendUnixDatagram } from "./unix_datagram.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Formats one syslog line (no trailing newline). */
export function formatSyslog(
  spec: Pick<SyslogSpec, "facility" | "format" | "tag">,
  message: AlertMessage,
  host: string,
  at: Date,
  pid: number,
): string {
  const pri = spec.facility * 8 + severity(message);
  const text = syslogText(message);
  if (spec.format === "rfc3164") {
    const day = String(at.getDate()).padStart(2, " ");
    const time = [at.getHours(), at.getMinutes(), at.getSeconds()]
      .map((n) => String(n).padStart(2, "0"))
      .join(":");
    return `<${pri}>${MONTHS[at.getMonth()]} ${day} ${time} ${host} ${spec.tag}[${pid}]: ${text}`;
  }
  const msgid = message.kind === "digest" ? "digest" : message.payload.event;
  return `<${pri}>1 ${at.toISOString()} ${host} ${spec.tag} ${pid} ${msgid} - ${text}`;
}

/** Sends lines to one syslog address. */
export class SyslogSender implements Sender {
  readonly #spec: SyslogSpec;
  readonly #host: string;
  #udp: dgram.Socket | null = null;
  #tcp: Deno.TcpConn | null = null;

  constructor(spec: SyslogSpec, host: string) {
    this.#spec = spec;
    this.#host = host;
  }

  async send(message: AlertMessage): Promise<void> {
    const line = formatSyslog(this.#spec, message, this.#host, new Date(), Deno.pid);
    const data = new TextEncoder().encode(line);
    const address = this.#spec.address;
    const ms = this.#spec.timeout * 1000;
    switch (address.transport) {
      case "unix":
        return sendUnixDatagram(address.path, data);
      case "udp":
        return await withTimeout(this.#sendUdp(data, address.host, address.port), ms);
      case "tcp": {
        const framed = new TextEncoder().encode(`${line}\n`);
        try {
          await withTimeout(this.#sendTcp(framed, address.host, address.port), ms);
        } catch (error) {
          this.#closeTcp();
          throw error;
        }
      }
    }
  }

  #sendUdp(data: Uint8Array, host: string, port: number): Promise<void> {
    if (this.#udp === null) {
      this.#udp = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
      // Errors reach the send callback; an unhandled "error" event would crash us.
      this.#udp.on("error", () => {});
    }
    return new Promise((resolve, reject) => {
      this.#udp!.send(data, port, host, (error) => (error ? reject(error) : resolve()));
    });
  }

  async #sendTcp(data: Uint8Array, hostname: string, port: number): Promise<void> {
    if (this.#tcp !== null) {
      try {
        await writeAll(this.#tcp, data);
        return;
      } catch {
        // The receiver closed it since: connect again, once.
        this.#closeTcp();
      }
    }
    this.#tcp = await Deno.connect({ hostname, port });
    await writeAll(this.#tcp, data);
  }

  #closeTcp(): void {
    try {
      this.#tcp?.close();
    } catch {
      // Already closed.
    }
    this.#tcp = null;
  }

  close(): void {
    this.#closeTcp();
    try {
      this.#udp?.close();
    } catch {
      // Already closed.
    }
    this.#udp = null;
  }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let written = 0;
  while (written < data.length) written += await conn.write(data.subarray(written));
}
