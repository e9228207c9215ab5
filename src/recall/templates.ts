// Reminder wording: minimum necessary. Messages name the kind of visit and how to book, never a diagnosis;
// each rule may override them per channel with the same placeholders. A patient due for several recalls gets
// one message naming them all; an appointment reminder says when the visit is and how to confirm or cancel.
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

/** "a, b and c", each once. */
export function joinList(items: string[]): string {
  const unique = [...new Set(items)];
  return unique.length <= 1 ? (unique[0] ?? '') : `${unique.slice(0, -1).join(', ')} and ${unique.at(-1)}`;
}

export interface DueRecall {
  visitLabel: string;
  dueDate: string;
  messages?: MessageTemplates;
}

/**
 * One message for every recall a patient is due for. A rule's own wording is used when it is the only one
 * (or all due recalls share it); several rules with different wordings get the standard text naming each visit.
 */
export function composeRecallMessage(channel: Channel, due: DueRecall[], fields: Omit<MessageFields, 'visit' | 'dueDate'>): Message {
  const wordings = new Set(due.map((d) => JSON.stringify(d.messages ?? {})));
  const templates = wordings.size === 1 ? due[0]!.messages : undefined;
  const dueDate = due.map((d) => d.dueDate).sort()[0]!;
  return composeMessage(channel, templates, { ...fields, dueDate, visit: joinList(due.map((d) => d.visitLabel)) });
}

export interface AppointmentFields {
  firstName: string;
  practiceName: string;
  practicePhone: string;
  /** "Thursday, November 12 at 9:00 AM CST", in the practice's time zone. */
  when: string;
  /** "Dr. Jane Smith", or empty. */
  provider: string;
  /** The location's name, or empty. */
  place: string;
}

/** An appointment reminder: when, with whom and where, and that a call confirms, cancels or changes it. */
export function composeAppointmentMessage(channel: Channel, f: AppointmentFields): Message {
  const withWhom = f.provider ? ` with ${f.provider}` : '';
  const where = f.place ? ` at ${f.place}` : '';
  const how = f.practicePhone ? `call us at ${f.practicePhone}` : 'call the practice';
  switch (channel) {
    case 'email':
      return {
        subject: `Your appointment at ${f.practiceName}: ${f.when}`,
        body: `Dear ${f.firstName},\n\nThis is a reminder of your appointment${withWhom}${where} on ${f.when}.\n\nTo confirm it, or if you need to cancel or change it, please ${how}. If you cannot come, letting us know gives your time to another patient.\n\nThank you,\n${f.practiceName}`,
      };
    case 'sms':
      return { body: `${f.practiceName}: reminder of your appointment ${f.when}${where}. To confirm, cancel or change it, ${how}. Reply STOP to opt out.` };
    case 'letter':
    case 'calls':
      return { body: `Appointment ${f.when}${withWhom}${where}: confirm, or cancel/change` };
  }
}
