// What a sending channel reports for one message: accepted by the server, or a reason without PHI.
export type Delivery = { accepted: true; messageId?: string } | { accepted: false; reason: string };

export interface MessageTransport {
  send(to: string, message: { subject?: string; body: string }): Promise<Delivery>;
  close(): Promise<void>;
}
