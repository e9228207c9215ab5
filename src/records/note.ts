// Progress notes, declared once: a dated SOAP note (subjective, objective, assessment, plan) with at least
// one part written, dated neither in the future nor before birth. `notes add`, the CSV and FHIR imports all
// check a note here.
import { RecordCheck, type Checked, type RecordContext } from './record.js';

export const NOTE_SECTIONS = ['subjective', 'objective', 'assessment', 'plan'] as const;
export type NoteSections = Record<(typeof NOTE_SECTIONS)[number], string | null>;

export const NOTE_FIELDS = { noteDate: 'the note date', text: 'the note' } as const;

/** A note as a path read it: its date as YYYY-MM-DD, its parts as written. */
export interface NoteInput extends Partial<NoteSections> {
  noteDate?: string;
}

export interface NoteValues extends NoteSections {
  noteDate: string;
}

/** Every problem with a note at once, or its stored values. */
export function checkNote(input: NoteInput, context: RecordContext): Checked<NoteValues> {
  const c = new RecordCheck(context);
  const date = c.pastDate('noteDate', NOTE_FIELDS.noteDate, c.required('noteDate', input.noteDate, 'the note has no date.'));
  const sections = Object.fromEntries(NOTE_SECTIONS.map((s) => [s, input[s]?.trim() || null])) as NoteSections;
  if (NOTE_SECTIONS.every((s) => sections[s] === null)) c.fail('text', 'REQUIRED', 'the note has no text.');
  return c.result({ noteDate: date!, ...sections });
}
