// How names are compared: lower case, accents and punctuation removed, so "Núñez-O'Brien, José"
// and "nunez obrien jose" find each other. patients.search_name holds "last first" in this form.

/** Lower-cased, accent-free words separated by single spaces; hyphens and apostrophes dropped. */
export function normalizeNameText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/['’`]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** The value patients.search_name must hold: "last first", normalised. Import reuses this. */
export function patientSearchName(person: { firstName: string; lastName: string }): string {
  return normalizeNameText(`${person.lastName} ${person.firstName}`);
}
