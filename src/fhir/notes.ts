// A SOAP progress note as the plain text a DocumentReference carries: one heading per section, so the
// receiving system shows it as written and our importer can split it back into its four sections.
export interface SoapSections {
  subjective: string | null;
  objective: string | null;
  assessment: string | null;
  plan: string | null;
}

const headings: [keyof SoapSections, string][] = [
  ['subjective', 'Subjective'],
  ['objective', 'Objective'],
  ['assessment', 'Assessment'],
  ['plan', 'Plan'],
];

export function soapToText(note: SoapSections): string {
  return headings
    .filter(([key]) => note[key] !== null && note[key] !== '')
    .map(([key, title]) => `${title}:\n${note[key]}`)
    .join('\n\n');
}

/** The inverse of soapToText; text without headings is kept whole as the assessment. */
export function textToSoap(text: string): SoapSections {
  const sections: SoapSections = { subjective: null, objective: null, assessment: null, plan: null };
  const pattern = /^(Subjective|Objective|Assessment|Plan):\n/gm;
  const starts = [...text.matchAll(pattern)];
  if (starts.length === 0) return { ...sections, assessment: text };
  starts.forEach((match, i) => {
    const key = headings.find(([, title]) => title === match[1])![0];
    const end = i + 1 < starts.length ? starts[i + 1]!.index! - 2 : text.length;
    sections[key] = text.slice(match.index! + match[0].length, end);
  });
  return sections;
}
