import assert from "node:assert/strict";
// @ts-types="@types/smtp-server"
import { SMTPServer } from "smtp-server";
import { waitFor } from "../_helpers/wait_for.ts";
import { tempDir } from "../_helpers/daemon.ts";
import { crash, manager } from "./_manager.ts";

/** A self-signed certificate for 127.0.0.1, made by openssl in `dir`. */
async function selfSigned(dir: string): Promise<{ key: string; cert: string; certPath: string }> {
  const out = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      `${dir}/key.pem`,
      "-out",
      `${dir}/cert.pem`,
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return {
    key: await Deno.readTextFile(`${dir}/key.pem`),
    cert: await Deno.readTextFile(`${dir}/cert.pem`),
    certPath: `${dir}/cert.pem`,
  };
}

interface Mail {
  from: string;
  to: string[];
  data: string;
  user: string;
  secure: boolean;
}

/** An SMTP server on 127.0.0.1:0 that offers STARTTLS, requires AUTH and keeps every mail. */
async function smtpServer(key: string, cert: string, password: string) {
  const mails: Mail[] = [];
  const logins: string[] = [];
  const server = new SMTPServer({
    key,
    cert,
    authOptional: false,
    disabledCommands: [],
    logger: false,
    onAuth(auth, session, callback) {
      logins.push(`${auth.username}:${session.secure}`);
      if (!session.secure) return callback(new Error("TLS first"));
      if (auth.username !== "alerts" || auth.password !== password) {
        return callback(new Error("Invalid username or password"));
      }
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      let data = "";
      stream.on("data", (chunk: Uint8Array) => (data += new TextDecoder().decode(chunk)));
      stream.on("end", () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          data,
          user: String(session.user),
          secure: session.secure,
        });
        callback();
      });
    },
  });
  // A client refusing our certificate is an "error" event here; the test checks the client side.
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    mails,
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

Deno.test("email: STARTTLS, AUTH from the URL, subject, recipients and body", async () => {
  await using dir = await tempDir();
  const { key, cert, certPath } = await selfSigned(String(dir));
  const smtp = await smtpServer(key, cert, "pa55:w@rd");
  try {
    await using m = manager(
      `  channels:
    mail: {email: {smtp: "smtp://alerts:\${SMTP_PASS}@127.0.0.1:${smtp.port}", starttls: true,
                   ca: "${certPath}", from: "taskmaster@test.host", to: [ops@example.com, dev@example.com],
                   timeout: 30}}
  rules:
    - {events: [crashed], channels: [mail], cooldown: 0}
`,
      { SMTP_PASS: encodeURIComponent("pa55:w@rd") },
    );
    crash(m.alerts, "web:1", 3);
    await waitFor(() => smtp.mails.length === 1, { what: "the mail", timeout: 60_000 });
    const mail = smtp.mails[0]!;
    assert.equal(mail.secure, true, "STARTTLS before the mail");
    assert.equal(mail.user, "alerts");
    assert.equal(mail.from, "taskmaster@test.host");
    assert.deepEqual(mail.to, ["ops@example.com", "dev@example.com"]);
    assert.match(mail.data, /^Subject: \[taskmaster\] web:1 crashed \(exit 3\) on testhost\r$/m);
    assert.match(mail.data, /^To: ops@example\.com, dev@example\.com\r$/m);
    assert.match(mail.data, /exit code: {3}3/);
    assert.match(mail.data, /last 1 lines of stdout:\r\n {2}last out/);
    await waitFor(() => m.alerts.stats()[0]!.sent === 1, { what: "sent counted", timeout: 60_000 });
    // A wrong password fails with the server's answer, and the password is never shown.
    const bad = await (async () => {
      await using wrong = manager(
        `  channels:
    mail: {email: {smtp: "smtp://alerts:\${SMTP_PASS}@127.0.0.1:${smtp.port}", ca: "${certPath}",
                   from: "a@b.c", to: [ops@example.com], timeout: 30}}
  rules:
    - {events: [crashed], channels: [mail]}
`,
        { SMTP_PASS: "wrong-secret-77" },
      );
      return await wrong.alerts.test("mail");
    })();
    assert.equal(bad.ok, false);
    assert.match(bad.error!, /Invalid username or password/);
    assert.doesNotMatch(bad.error!, /wrong-secret-77/);
  } finally {
    await smtp.close();
  }
});

Deno.test("email: an untrusted self-signed certificate is refused", async () => {
  await using dir = await tempDir();
  const { key, cert } = await selfSigned(String(dir));
  const smtp = await smtpServer(key, cert, "x");
  try {
    await using m = manager(`  channels:
    mail: {email: {smtp: "smtp://alerts:x@127.0.0.1:${smtp.port}", from: "a@b.c", to: [o@e.com], timeout: 30}}
  rules:
    - {events: [crashed], channels: [mail]}
`);
    const result = await m.alerts.test("mail");
    assert.equal(result.ok, false);
    assert.match(result.error!, /self.signed|certificate/i);
    assert.equal(smtp.mails.length, 0);
  } finally {
    await smtp.close();
  }
});
