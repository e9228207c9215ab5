// SOAP notes as people write them in a text file: sections headed "S:", "O:", "A:", "P:"
// (or Subjective:, Objective:, Assessment:, Plan:), each running until the next heading.
import { ValidationError } from '../errors.js';

export interface SoapNote {
  subjective: string | null;
  objective: string | null;
  assessment: string | null;
  plan: string | null;
}

const HEADINGS: Record<string, keyof SoapNote> = {
  s: 'subjective',
  subjective: 'subjective',
  o: 'objective',
  objective: 'objective',
  a: 'assessment',
  assessment: 'assessment',
  p: 'plan',
  plan: 'plan',
};

export const SOAP_TEMPLATE = 'S: \n\nO: \n\nA: \n\nP: \n';

export function parseSoap(text: string): SoapNote {
  const note: SoapNote = { subjective: null, objective: null, assessment: null, plan: null };
  const collected: Partial<Record<keyof SoapNote, string[]>> = {};
  let current: keyof SoapNote | undefined;
  let stray = false;
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    const heading = /^\s*([A-Za-z]+)\s*:\s?(.*)$/.exec(line);
    const section = heading ? HEADINGS[heading[1]!.toLowerCase()] : undefined;
    if (section) {
      current = section;
      (collected[section] ??= []).push(heading![2]!);
    } else if (current) {
      collected[current]!.push(line);
    } else if (line.trim() !== '') {
      stray = true;
    }
  }
  for (const [key, lines] of Object.entries(collected) as [keyof SoapNote, string[]][]) {
    const value = lines.join('\n').trim();
    note[key] = value === '' ? null : value;
  }
  if (stray || Object.values(note).every((v) => v === null)) {
    throw new ValidationError([{ code: 'SOAP_FORMAT', path: 'note', message: 'The note must be written in sections starting with "S:", "O:", "A:" and "P:" (text before the first section is not allowed).' }]);
  }
  return note;
}
