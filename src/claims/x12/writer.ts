// Writes segments the way the 5010 guides want them: values upper-cased, delimiter characters
// removed from data, trailing empty elements and components dropped, counts kept for SE01.
import { X12Segment, type Separators } from './model.js';

/** An element: a plain value, or a composite's components. */
export type ElementValue = string | number | undefined | null | (string | number | undefined | null)[];

export class X12Writer {
  readonly segments: X12Segment[] = [];
  private readonly forbidden: RegExp;
  /** Values that are already clean: codes, amounts, dates (most of a file), returned as they are. */
  private readonly plain: RegExp;

  constructor(readonly separators: Separators) {
    const chars = [separators.element, separators.component, separators.repetition, separators.segment];
    this.forbidden = new RegExp(`[${chars.map((c) => `\\${c}`).join('')}\\r\\n]`, 'g');
    this.plain = new RegExp(`^[A-Z0-9${['.', '-'].filter((c) => !chars.includes(c)).map((c) => `\\${c}`).join('')}]*$`);
  }

  /** Free text fit for a data element: no delimiters, single spaces, upper case, at most max characters. */
  clean(value: string | number | undefined | null, max?: number): string {
    if (value === undefined || value === null) return '';
    const raw = String(value);
    if (this.plain.test(raw)) return max ? raw.slice(0, max) : raw;
    const text = raw.replace(this.forbidden, ' ').replace(/\s+/g, ' ').trim().toUpperCase();
    return max ? text.slice(0, max).trim() : text;
  }

  /** Adds a segment and returns it; the ISA is written verbatim, since its fields are fixed width. */
  add(tag: string, ...elements: ElementValue[]): X12Segment {
    const values = elements.map((e) => {
      if (!Array.isArray(e)) return tag === 'ISA' ? String(e ?? '') : this.clean(e);
      const parts = e.map((c) => this.clean(c));
      while (parts.length && parts.at(-1) === '') parts.pop();
      return parts.join(this.separators.component);
    });
    if (tag !== 'ISA') while (values.length && values.at(-1) === '') values.pop();
    const segment = new X12Segment(tag, values);
    this.segments.push(segment);
    return segment;
  }

  /** Segments from the given index to the end (SE01 counts ST through SE). */
  countSince(index: number): number {
    return this.segments.length - index;
  }

  toString(lineBreak = ''): string {
    const end = this.separators.segment + lineBreak;
    return this.segments.map((s) => s.toString(this.separators) + end).join('');
  }
}
