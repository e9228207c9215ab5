// SMS through a Twilio-style REST gateway: POST <PRACTICE_SMS_URL>/Messages.json with To, From and Body
// as a form, HTTP basic authentication from the URL's user:password or from the environment. Sent with
// node:http(s) rather than fetch because only the request itself tells when the whole form left: a
// failure before that (DNS, connect refused, TLS) was never sent and may be retried; after it, with no
// answer (a timeout, a dropped connection), the gateway may have texted the patient.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Delivery, MessageTransport } from './transport.js';

export interface SmsOptions {
  url: string;
  from: string;
  user?: string;
  password?: string;
  /** How long to wait for the gateway, connecting included (default 15 seconds). */
  timeoutMs?: number;
}

export const DEFAULT_SMS_TIMEOUT_MS = 15_000;

/** "555-123-4567" (as stored) to E.164 "+15551234567". */
export function toE164(phone: string): string {
  const digits = phone.replace(/\s*x.*$/i, '').replace(/[^0-9]/g, '');
  return digits.length === 10 ? `+1${digits}` : `+${digits}`;
}

type Outcome = { response: IncomingMessage; body: string } | { error: Error & { code?: string }; sent: boolean; timedOut: boolean };

/** One POST; says whether the whole request had left when it failed. */
function post(endpoint: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let sent = false;
    let timedOut = false;
    const send = endpoint.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(endpoint, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ response, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', (error) => resolve({ error, sent: true, timedOut }));
    });
    // The whole request is handed to the operating system: from here on the gateway may act on it.
    req.on('finish', () => (sent = true));
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(Object.assign(new Error('SMS gateway timed out'), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    req.on('error', (error) => resolve({ error, sent, timedOut }));
    req.on('close', () => clearTimeout(timer));
    req.end(body);
  });
}

export function smsTransport(options: SmsOptions): MessageTransport {
  const url = new URL(options.url);
  const user = decodeURIComponent(url.username) || options.user;
  const password = decodeURIComponent(url.password) || options.password;
  url.username = '';
  url.password = '';
  const endpoint = new URL(`${url.toString().replace(/\/+$/, '')}/Messages.json`);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (user) headers.authorization = `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}`;
  return {
    async send(to, message): Promise<Delivery> {
      const form = new URLSearchParams({ To: toE164(to), From: options.from, Body: message.body }).toString();
      const outcome = await post(endpoint, headers, form, options.timeoutMs ?? DEFAULT_SMS_TIMEOUT_MS);
      if ('error' in outcome) {
        const what = outcome.timedOut ? 'timed out' : (outcome.error.code ?? 'unreachable');
        if (outcome.sent) return { accepted: false, inDoubt: true, reason: `SMS gateway ${what} after it received the message, before it confirmed it` };
        return { accepted: false, reason: `SMS gateway ${what}` };
      }
      const status = outcome.response.statusCode ?? 0;
      // 504: a proxy in front of the gateway passed the message on and gave up waiting for the answer.
      if (status === 504) return { accepted: false, inDoubt: true, reason: 'SMS gateway HTTP 504 (gateway timeout) after it received the message, before it confirmed it' };
      if (status < 200 || status >= 300) return { accepted: false, reason: `SMS gateway HTTP ${status}` };
      let sid: string | undefined;
      try {
        sid = (JSON.parse(outcome.body) as { sid?: string }).sid;
      } catch {
        sid = undefined;
      }
      return { accepted: true, messageId: sid };
    },
    async close() {},
  };
}
