// Reminder wording: minimum necessary. Messages name the kind of visit and how to book, never a diagnosis;
// each rule may override them per channel with the same placeholders.
import { DateTime } from 'luxon';
import type { Channel, MessageTemplates } from './definition.js';

export interface MessageFields {
  firstName: string;
  lastName: string;
  practiceName: string;
  practicePhone: string;
  /** YYYY-MM-DD; written out in words in the message. */
  dueDate: string;
  visit: string;
}

export const defaultTemplates: Required<MessageTemplates> = {
  emailSubject: 'A reminder from {practiceName}',
  email: 'Dear {firstName},\n\nIt is time for your {visit}. Please call us at {practicePhone} to book an appointment.\n\nThank you,\n{practiceName}',
  sms: '{practiceName}: it is time for your {visit}. Please call {practicePhone} to book. Reply STOP to opt out.',
  letter: 'Dear {firstName} {lastName},\n\nOur records show that it is time for your {visit}. Please call us at {practicePhone} to book an appointment at a time that suits you.\n\nIf you have already booked, thank you, and please disregard this letter.\n\nSincerely,\n{practiceName}',
};

export function fillTemplate(template: string, fields: MessageFields): string {
  const values: Record<string, string> = {
    ...fields,
    dueDate: DateTime.fromISO(fields.dueDate).setLocale('en-US').toLocaleString(DateTime.DATE_FULL),
  };
  return template.replace(/\{([A-Za-z]+)\}/g, (whole, name: string) => values[name] ?? whole);
}

export interface Message {
  subject?: string;
  body: string;
}

export function composeMessage(channel: Channel, templates: MessageTemplates | undefined, fields: MessageFields): Message {
  const pick = (key: keyof MessageTemplates) => templates?.[key] ?? defaultTemplates[key];
  switch (channel) {
    case 'email':
      return { subject: fillTemplate(pick('emailSubject'), fields), body: fillTemplate(pick('email'), fields) };
    case 'sms':
      return { body: fillTemplate(pick('sms'), fields) };
    case 'letter':
    case 'calls':
      return { body: fillTemplate(pick('letter'), fields) };
  }
}
