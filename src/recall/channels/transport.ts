// What a sending channel reports for one message: accepted by the server, or a reason without PHI.
export type Delivery = { accepted: true; messageId?: string } | { accepted: false; reason: string };

export interface MessageTransport {
  /** `id` makes the SMTP Message-ID: the same reminder sent again carries the same one. */
  send(to: string, message: { subject?: string; body: string; id?: string }): Promise<Delivery>;
  close(): Promise<void>;
}
