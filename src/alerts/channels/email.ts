/**
 * Email channel: one mail per message over SMTP with nodemailer (STARTTLS,
 * AUTH from the URL's user and password, or TLS from the start for smtps://).
 *
 * @module
 */

// @ts-types="@types/nodemailer"
import nodemailer from "nodemailer";
import { emailText, subject } from "../payload.ts";
import type { AlertMessage, EmailSpec } from "../types.ts";
import type { Sender } from "./sender.ts";
import { withTimeout } from "../../util/with_timeout.ts";

/** Sends mail through one SMTP server. */
export class EmailSender implements Sender {
  readonly #spec: EmailSpec;
  #transport: nodemailer.Transporter | null = null;

  constructor(spec: EmailSpec) {
    this.#spec = spec;
  }

  async #open(): Promise<nodemailer.Transporter> {
    if (this.#transport !== null) return this.#transport;
    const spec = this.#spec;
    const url = new URL(spec.smtp);
    const ca = spec.ca === null ? undefined : [await Deno.readTextFile(spec.ca)];
    const ms = spec.timeout * 1000;
    this.#transport = nodemailer.createTransport({
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: url.port === "" ? (url.protocol === "smtps:" ? 465 : 587) : Number(url.port),
      secure: url.protocol === "smtps:",
      requireTLS: url.protocol === "smtp:" && spec.starttls,
      ignoreTLS: url.protocol === "smtp:" && !spec.starttls,
      ...(url.username === "" ? {} : {
        auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) },
      }),
      tls: { rejectUnauthorized: spec.tlsVerify, ...(ca === undefined ? {} : { ca }) },
      connectionTimeout: ms,
      greetingTimeout: ms,
      socketTimeout: ms,
    });
    return this.#transport;
  }

  async send(message: AlertMessage): Promise<void> {
    const transport = await this.#open();
    const mail = transport.sendMail({
      from: this.#spec.from,
      to: [...this.#spec.to],
      subject: subject(message),
      text: emailText(message),
    });
    // nodemailer times out each step; this bounds the whole conversation.
    await withTimeout(mail, this.#spec.timeout * 3000);
  }

  close(): void {
    this.#transport?.close();
    this.#transport = null;
  }
}
