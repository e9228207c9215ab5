// Reads an exported 837P back with the independent parser (node-x12, strict mode) as plain segment strings.
import X12 from 'node-x12';
import { expect } from 'vitest';

const { X12Parser } = X12 as unknown as typeof import('node-x12');

/** The file through node-x12 in strict mode (envelope counts and control numbers), as segment strings. */
export function segmentsOf(text: string): { segments: string[]; se01: number } {
  const interchange = new X12Parser(true).parse(text) as import('node-x12').X12Interchange;
  const transaction = interchange.functionalGroups[0]!.transactions[0]!;
  const segments = transaction.segments.map((s) => [s.tag, ...s.elements.map((e) => e.value)].join('*'));
  return { segments, se01: Number(transaction.trailer.elements[0]!.value) };
}

/** The segments of one claim: from its CLM to the next HL (or the end of the transaction). */
export function claimSegments(segments: string[], pcn: string): string[] {
  const start = segments.findIndex((s) => s.startsWith(`CLM*${pcn}*`));
  expect(start).toBeGreaterThan(0);
  const end = segments.findIndex((s, i) => i > start && s.startsWith('HL*'));
  return segments.slice(start, end < 0 ? undefined : end);
}

