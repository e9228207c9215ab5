// What a sending channel reports for one message: accepted by the server, refused with a reason without
// PHI, or in doubt: the whole message reached the server but its answer never came back, so it may have
// gone out (never sent again automatically: a patient never gets the same reminder twice).
export type Delivery = { accepted: true; messageId?: string } | { accepted: false; reason: string; inDoubt?: boolean };

export interface MessageTransport {
  /** `id` makes the SMTP Message-ID: the same reminder sent again carries the same one. */
  send(to: string, message: { subject?: string; body: string; id?: string }): Promise<Delivery>;
  close(): Promise<void>;
}
