// A real SMTP server (nodemailer's smtp-server) for tests: it accepts every message, parses it with
// mailparser, and prints it as one JSON line. The first line is {"listening": PORT}.
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, session, callback) {
    simpleParser(stream)
      .then((mail) => {
        const envelope = session.envelope.rcptTo.map((r) => r.address);
        process.stdout.write(JSON.stringify({ to: envelope, from: mail.from?.text, subject: mail.subject, text: mail.text }) + '\n');
        callback();
      })
      .catch(callback);
  },
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ listening: server.server.address().port }) + '\n'));
// The test that started it ends it; closing stdin (the test process died) ends it too.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
