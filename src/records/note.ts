// Progress notes, declared once: a dated SOAP note (subjective, objective, assessment, plan) with at least
// one part written, dated neither in the future nor before birth. `notes add`, the CSV and FHIR imports all
// check a note here.
import { RecordCheck, type Checked, type RecordContext, type RecordFields } from './record.js';

export const NOTE_SECTIONS = ['subjective', 'objective', 'assessment', 'plan'] as const;
export type NoteSections = Record<(typeof NOTE_SECTIONS)[number], string | null>;

const section = (name: string, description: string, ...aliases: string[]) => ({ label: `the ${name} part`, required: 'text', column: { name, type: 'text', description, aliases, max: 100_000 } }) as const;

/** A note's fields: how they are named in its reasons, their options in `notes add`, their CSV columns. */
export const NOTE_FIELDS = {
  noteDate: {
    label: 'the note date',
    required: true,
    option: { flags: '--date <date>', description: 'note date (default today)' },
    column: { name: 'date', type: 'date', description: 'date of the note', aliases: ['date', 'note date', 'visit date', 'dos'] },
  },
  subjective: section('subjective', 'S: what the patient reports', 's', 'history of present illness', 'hpi'),
  objective: section('objective', 'O: findings', 'o', 'exam', 'findings'),
  assessment: section('assessment', 'A: assessment', 'a', 'impression'),
  plan: section('plan', 'P: plan', 'p'),
  text: {
    label: 'the note',
    required: 'text',
    option: { flags: '--file <file>', description: 'a text file with S:, O:, A: and P: sections (an editor opens on a terminal when omitted)' },
    column: { name: 'note', type: 'text', description: 'free-text note (kept as the subjective part)', aliases: ['text', 'note text', 'comments', 'progress note'], max: 100_000 },
  },
} satisfies RecordFields;

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
  const date = c.pastDate('noteDate', NOTE_FIELDS.noteDate.label, c.required('noteDate', input.noteDate, 'the note has no date.'));
  const sections = Object.fromEntries(NOTE_SECTIONS.map((s) => [s, input[s]?.trim() || null])) as NoteSections;
  if (NOTE_SECTIONS.every((s) => sections[s] === null)) c.fail('text', 'REQUIRED', 'the note has no text.');
  return c.result({ noteDate: date!, ...sections });
}
