// Guesses for the mapping wizard: which free column most likely holds a field, from its header's
// resemblance to the field's names and from how many sample values parse as the field's type.
import { DateTime } from 'luxon';
import { headerKey, type FieldSpec } from './columns.js';
import { parseField } from './fields.js';

export function guessColumn(field: FieldSpec, headers: string[], samples: string[][], taken: Set<number>): number | undefined {
  const names = [field.name, ...field.aliases].map(headerKey);
  const context = { dateOrder: 'mdy' as const, today: DateTime.utc() };
  let best: { index: number; score: number } | undefined;
  headers.forEach((header, index) => {
    if (taken.has(index)) return;
    const key = headerKey(header);
    let score = names.some((n) => n && key && (key.includes(n) || n.includes(key))) ? 2 : 0;
    const values = samples.map((row) => row[index]?.trim() ?? '').filter(Boolean);
    if (values.length && field.type !== 'text' && field.type !== 'id') {
      const parsed = values.filter((v) => 'value' in parseField(field.type, v, field.name, context)).length;
      score += parsed / values.length;
    }
    if (score > 0 && (!best || score > best.score)) best = { index, score };
  });
  return best?.index;
}
