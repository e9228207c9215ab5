// Writes segments the way the 5010 guides want them: values upper-cased, delimiter characters
// removed from data, trailing empty elements and components dropped, counts kept for SE01.
// Each segment becomes text as it is added (no segment objects held for the whole file), and is
// handed to `onSegment`, if given, as a reader would split it: a file is checked while it is written.
import type { Separators } from './model.js';

/** An element: a plain value, or a composite's components. */
export type ElementValue = string | number | undefined | null | (string | number | undefined | null)[];

export interface WriterOptions {
  /** What follows each segment terminator (a newline for files people read, nothing for the 837P). */
  lineBreak?: string;
  /** Each segment as written: its tag and its elements, split on the element separator. */
  onSegment?: (tag: string, elements: string[]) => void;
}

export class X12Writer {
  /** Segments written so far (SE01 counts ST through SE). */
  count = 0;
  private text = '';
  private readonly end: string;
  private readonly forbidden: RegExp;
  /** Values that are already clean: codes, amounts, dates (most of a file), returned as they are. */
  private readonly plain: RegExp;

  constructor(
    readonly separators: Separators,
    private readonly options: WriterOptions = {},
  ) {
    const chars = [separators.element, separators.component, separators.repetition, separators.segment];
    this.forbidden = new RegExp(`[${chars.map((c) => `\\${c}`).join('')}\\r\\n]`, 'g');
    this.plain = new RegExp(`^[A-Z0-9${['.', '-'].filter((c) => !chars.includes(c)).map((c) => `\\${c}`).join('')}]*$`);
    this.end = separators.segment + (options.lineBreak ?? '');
  }

  /** Free text fit for a data element: no delimiters, single spaces, upper case, at most max characters. */
  clean(value: string | number | undefined | null, max?: number): string {
    if (value === undefined || value === null) return '';
    const raw = String(value);
    if (this.plain.test(raw)) return max ? raw.slice(0, max) : raw;
    const text = raw.replace(this.forbidden, ' ').replace(/\s+/g, ' ').trim().toUpperCase();
    return max ? text.slice(0, max).trim() : text;
  }

  /** Adds a segment; the ISA is written verbatim, since its fields are fixed width. */
  add(tag: string, ...elements: ElementValue[]): void {
    const values = elements.map((e) => {
      if (!Array.isArray(e)) return tag === 'ISA' ? String(e ?? '') : this.clean(e);
      const parts = e.map((c) => this.clean(c));
      while (parts.length && parts.at(-1) === '') parts.pop();
      return parts.join(this.separators.component);
    });
    if (tag !== 'ISA') while (values.length && values.at(-1) === '') values.pop();
    const segment = values.length ? tag + this.separators.element + values.join(this.separators.element) : tag;
    this.text += segment + this.end;
    this.count++;
    if (this.options.onSegment) {
      // As a reader sees it: a separator that slipped into a value shows up as an extra element.
      const [read, ...rest] = segment.split(this.separators.element);
      this.options.onSegment(read!, rest);
    }
  }

  /** Segments from the given count to the end (SE01 counts ST through SE). */
  countSince(index: number): number {
    return this.count - index;
  }

  toString(): string {
    return this.text;
  }
}
