// SMS through a Twilio-style REST gateway: POST <PRACTICE_SMS_URL>/Messages.json with To, From and Body
// as a form, HTTP basic authentication from the URL's user:password or from the environment.
import type { Delivery, MessageTransport } from './transport.js';

export interface SmsOptions {
  url: string;
  from: string;
  user?: string;
  password?: string;
  timeoutMs?: number;
}

/** "555-123-4567" (as stored) to E.164 "+15551234567". */
export function toE164(phone: string): string {
  const digits = phone.replace(/\s*x.*$/i, '').replace(/[^0-9]/g, '');
  return digits.length === 10 ? `+1${digits}` : `+${digits}`;
}

export function smsTransport(options: SmsOptions): MessageTransport {
  const url = new URL(options.url);
  const user = decodeURIComponent(url.username) || options.user;
  const password = decodeURIComponent(url.password) || options.password;
  url.username = '';
  url.password = '';
  const endpoint = `${url.toString().replace(/\/+$/, '')}/Messages.json`;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (user) headers.authorization = `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}`;
  return {
    async send(to, message): Promise<Delivery> {
      try {
        const response = await fetch(endpoint, {
          method: 'POST',
          headers,
          body: new URLSearchParams({ To: toE164(to), From: options.from, Body: message.body }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
        });
        const text = await response.text();
        if (!response.ok) return { accepted: false, reason: `SMS gateway HTTP ${response.status}` };
        let sid: string | undefined;
        try {
          sid = (JSON.parse(text) as { sid?: string }).sid;
        } catch {
          sid = undefined;
        }
        return { accepted: true, messageId: sid };
      } catch (error) {
        const e = error as { name?: string; cause?: { code?: string } };
        return { accepted: false, reason: `SMS gateway ${e.name === 'TimeoutError' ? 'timed out' : (e.cause?.code ?? 'unreachable')}` };
      }
    },
    async close() {},
  };
}
