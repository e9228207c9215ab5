// Real transports for the sender tests: an SMTP server (smtp-server) and a Twilio-style SMS gateway
// (node:http), both on 127.0.0.1, recording what they accepted and able to refuse on demand.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll } from 'vitest';

export interface ReceivedMail {
  to: string[];
  /** The message with quoted-printable soft line breaks undone. */
  text: string;
  /** Whether the session had been upgraded to TLS. */
  secure: boolean;
}

export interface TestSmtp {
  url: string;
  received: ReceivedMail[];
  /** Recipients the server refuses with 550. */
  refuse: Set<string>;
  /** How many of the next messages the server keeps (it may deliver them) but drops the connection before answering. */
  dropAfterData: number;
  close(): Promise<void>;
}

/** With starttls the server offers STARTTLS (smtp-server's built-in self-signed certificate). */
export async function startSmtp(options: { starttls?: boolean } = {}): Promise<TestSmtp> {
  const received: ReceivedMail[] = [];
  const refuse = new Set<string>();
  const control = { dropAfterData: 0 };
  const server = new SMTPServer({
    authOptional: true,
    hideSTARTTLS: !options.starttls,
    logger: false,
    onRcptTo(address, _session, callback) {
      if (refuse.has(address.address)) {
        const error = Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 });
        callback(error);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), secure: Boolean(session.secure), text: raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))) });
        if (control.dropAfterData > 0) {
          // The whole message is in, its "250 OK" never goes out: the client cannot know it was delivered.
          control.dropAfterData--;
          const connections = (server as unknown as { connections: Set<{ id: string; _socket: { destroy(): void } }> }).connections;
          [...connections].find((c) => c.id === session.id)?._socket.destroy();
          return;
        }
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = (server as unknown as { server: Server }).server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    refuse,
    get dropAfterData() {
      return control.dropAfterData;
    },
    set dropAfterData(n: number) {
      control.dropAfterData = n;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface SentSms {
  to: string;
  from: string;
  body: string;
  authorization: string | undefined;
}

export interface TestSmsGateway {
  /** Base URL with credentials, like a Twilio account URL. */
  url: string;
  received: SentSms[];
  /** How many of the next requests get HTTP 503. */
  failNext: number;
  /** How many of the next requests the gateway keeps (it may text them) but never answers. */
  hangNext: number;
  /** How many of the next requests the gateway keeps (it may text them), then drops the connection without answering. */
  dropNext: number;
  close(): Promise<void>;
}

export async function startSmsGateway(): Promise<TestSmsGateway> {
  const gateway: TestSmsGateway = { url: '', received: [], failNext: 0, hangNext: 0, dropNext: 0, close: async () => undefined };
  let counter = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/2010-04-01/Accounts/AC123/Messages.json') {
        res.writeHead(404).end();
        return;
      }
      if (gateway.failNext > 0) {
        gateway.failNext--;
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"try later"}');
        return;
      }
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      gateway.received.push({ to: form.get('To') ?? '', from: form.get('From') ?? '', body: form.get('Body') ?? '', authorization: req.headers.authorization });
      if (gateway.hangNext > 0) {
        gateway.hangNext--;
        return;
      }
      if (gateway.dropNext > 0) {
        gateway.dropNext--;
        req.socket.destroy();
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ sid: `SM${++counter}`, status: 'queued' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  gateway.url = `http://AC123:secret-token@127.0.0.1:${port}/2010-04-01/Accounts/AC123`;
  gateway.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      // A request left hanging on purpose would keep the server open.
      server.closeAllConnections();
    });
  return gateway;
}

export interface TestTransports {
  readonly smtp: TestSmtp;
  readonly sms: TestSmsGateway;
  /** The sender's environment pointing at both servers. */
  env(): NodeJS.ProcessEnv;
}

/** Both servers for one describe block: started before its tests, stopped after them. */
export function useTestTransports(from: string): TestTransports {
  let smtp: TestSmtp | undefined;
  let sms: TestSmsGateway | undefined;
  beforeAll(async () => {
    smtp = await startSmtp();
    sms = await startSmsGateway();
  });
  afterAll(async () => {
    await smtp?.close();
    await sms?.close();
  });
  return {
    get smtp() {
      return smtp!;
    },
    get sms() {
      return sms!;
    },
    env: () => ({ PRACTICE_SMTP_URL: smtp!.url, PRACTICE_SMTP_FROM: from, PRACTICE_SMS_URL: sms!.url, PRACTICE_SMS_FROM: '+15550100000' }),
  };
}
