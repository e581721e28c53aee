// The suite's outgoing mail, when the conformance run gives the Api an SMTP server: SPOKES_SMTP_PORT names the
// port the suite was started with (Api__SmtpHost=127.0.0.1, Api__SmtpPort, Api__SmtpUseTls=false), and this
// process listens there with nodemailer's smtp-server. Without it the suite trusts addresses as given and the
// tests that need a mailed link are skipped.
import { SMTPServer } from "smtp-server";
import { simpleParser } from "mailparser";

const port = Number(process.env.SPOKES_SMTP_PORT ?? 0);
export const mailEnabled = port > 0;
export const noMail = mailEnabled ? false : "needs the suite started with an SMTP server (SPOKES_SMTP_PORT)";

const received = [];
const waiting = new Set();

if (mailEnabled) {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          for (const to of session.envelope.rcptTo.map((r) => r.address.toLowerCase())) received.push({ to, subject: mail.subject, text: mail.text });
          for (const check of waiting) check();
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  // The listener alone must not keep the test process running once the tests are done.
  server.server.unref();
}

/**
 * The token of the next link mailed to `address` whose subject matches `subject` (the link's last path segment),
 * taken from the mailbox so that each mail is read once; waits up to ten seconds.
 */
export function linkToken(address, subject) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const index = received.findIndex((mail) => mail.to === address.toLowerCase() && subject.test(mail.subject));
      if (index < 0) return;
      const [mail] = received.splice(index, 1);
      waiting.delete(check);
      clearTimeout(timer);
      const link = mail.text.split(/\s+/).find((word) => /^https?:\/\//.test(word));
      resolve(new URL(link).pathname.split("/").at(-1));
    };
    const timer = setTimeout(() => {
      waiting.delete(check);
      reject(new Error(`no mail "${subject}" reached ${address}`));
    }, 10_000);
    waiting.add(check);
    check();
  });
}
