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

/**
 * Tells when the whole message, its final "." included, went to the server: nodemailer logs that step, and
 * this logger only watches for it (it writes nothing, so no address or text ever reaches a log).
 */
function dataWatcher(): { logger: Record<'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', (entry: unknown) => void>; sent: () => boolean; reset: () => void } {
  let sent = false;
  const watch = (entry: unknown) => {
    if ((entry as { tnx?: string } | null)?.tnx === 'message') sent = true;
  };
  return { logger: { trace: watch, debug: watch, info: watch, warn: watch, error: watch, fatal: watch }, sent: () => sent, reset: () => (sent = false) };
}

export function emailTransport(options: { url: string; from: string }): MessageTransport {
  const data = dataWatcher();
  const transporter = nodemailer.createTransport({ url: options.url, logger: data.logger });
  return {
    // One message at a time (the sender awaits each), so one watcher serves the transport.
    async send(to, message): Promise<Delivery> {
      data.reset();
      try {
        const info = await transporter.sendMail({ from: options.from, to, subject: message.subject, text: message.body, ...(message.id ? { messageId: `<${message.id}@${senderDomain(options.from)}>` } : {}) });
        const accepted = (info.accepted ?? []).map((a: unknown) => (typeof a === 'string' ? a : (a as { address: string }).address));
        if (!accepted.includes(to)) return { accepted: false, reason: `SMTP recipient refused` };
        return { accepted: true, messageId: info.messageId };
      } catch (error) {
        // The server had the whole message and answered nothing (the connection dropped, a timeout): it may
        // have delivered it. Before that (connect refused, RCPT refused) or with a reply, it was not sent.
        const answered = Boolean((error as { responseCode?: number }).responseCode);
        if (data.sent() && !answered) return { accepted: false, inDoubt: true, reason: `${smtpFailure(error)} after the mail server received the message, before it confirmed it` };
        return { accepted: false, reason: smtpFailure(error) };
      }
    },
    async close() {
      transporter.close();
    },
  };
}
