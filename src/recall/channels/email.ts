// Email over SMTP with nodemailer. The server, port, credentials and TLS come from PRACTICE_SMTP_URL
// (smtp://user:pass@host:587 upgrades with STARTTLS when offered; smtps:// is TLS from the start).
import nodemailer from 'nodemailer';
import type { Delivery, MessageTransport } from './transport.js';

/** An SMTP error as a plain reason: the code and status only, since server replies can quote the address. */
export function smtpFailure(error: unknown): string {
  const e = error as { responseCode?: number; code?: string };
  if (e.responseCode) return `SMTP ${e.responseCode}${e.code ? ` (${e.code})` : ''}`;
  return `SMTP ${e.code ?? 'error'}`;
}

/** The domain of the sender address, for Message-IDs (RFC 5322 wants one the sender controls). */
function senderDomain(from: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  return /@([A-Za-z0-9.-]+)/.exec(address)?.[1] ?? 'practicekit.invalid';
}

export function emailTransport(options: { url: string; from: string }): MessageTransport {
  const transporter = nodemailer.createTransport(options.url);
  return {
    async send(to, message): Promise<Delivery> {
      try {
        const info = await transporter.sendMail({ from: options.from, to, subject: message.subject, text: message.body, ...(message.id ? { messageId: `<${message.id}@${senderDomain(options.from)}>` } : {}) });
        const accepted = (info.accepted ?? []).map((a: unknown) => (typeof a === 'string' ? a : (a as { address: string }).address));
        if (!accepted.includes(to)) return { accepted: false, reason: `SMTP recipient refused` };
        return { accepted: true, messageId: info.messageId };
      } catch (error) {
        return { accepted: false, reason: smtpFailure(error) };
      }
    },
    async close() {
      transporter.close();
    },
  };
}
