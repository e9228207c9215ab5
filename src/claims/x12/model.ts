// A small X12 object model: separators taken from the ISA, segments with 1-based element accessors,
// composites and repetitions. parse() then toString() gives the text back unchanged, so files we
// read can be stored and compared, and files we write go through the same code.
import { ValidationError } from '../../errors.js';

export interface Separators {
  element: string;
  component: string;
  repetition: string;
  segment: string;
}

export const defaultSeparators: Separators = { element: '*', component: ':', repetition: '^', segment: '~' };

/** The fixed length of the ISA segment, terminator included; the delimiters sit at fixed offsets. */
export const ISA_LENGTH = 106;

export class X12Segment {
  /** Elements after the tag: elements[0] is element 01. Each is a raw string (composites unsplit). */
  constructor(
    readonly tag: string,
    readonly elements: string[],
  ) {}

  /** Element n (1-based) as written, or '' when absent. */
  get(n: number): string {
    return this.elements[n - 1] ?? '';
  }

  /** Component c (1-based) of element n. */
  component(n: number, c: number, seps: Separators): string {
    return this.get(n).split(seps.component)[c - 1] ?? '';
  }

  components(n: number, seps: Separators): string[] {
    const value = this.get(n);
    return value === '' ? [] : value.split(seps.component);
  }

  repetitions(n: number, seps: Separators): string[] {
    const value = this.get(n);
    return value === '' ? [] : value.split(seps.repetition);
  }

  toString(seps: Separators): string {
    return [this.tag, ...this.elements].join(seps.element);
  }
}

export class X12Document {
  constructor(
    readonly segments: X12Segment[],
    readonly separators: Separators,
    /** What follows each terminator in the source (a newline, or nothing), so toString() is lossless. */
    readonly lineBreak = '',
    /** What follows the last terminator (some files end without the line break). */
    readonly ending = lineBreak,
  ) {}

  toString(): string {
    const end = this.separators.segment + this.lineBreak;
    return this.segments.map((s, i) => s.toString(this.separators) + (i === this.segments.length - 1 ? this.separators.segment + this.ending : end)).join('');
  }

  /** Segments with this tag whose element 01 (when given) matches. */
  all(tag: string, qualifier?: string): X12Segment[] {
    return this.segments.filter((s) => s.tag === tag && (qualifier === undefined || s.get(1) === qualifier));
  }
}

/** Reads an interchange: separators from the ISA's fixed offsets, then every segment. */
export function parseX12(text: string): X12Document {
  const start = text.search(/\S/);
  const body = start > 0 ? text.slice(start) : text;
  if (!body.startsWith('ISA') || body.length < ISA_LENGTH) {
    throw new ValidationError([{ code: 'X12_NO_ISA', message: 'This is not an X12 file: it does not start with a complete ISA segment.' }]);
  }
  const separators: Separators = {
    element: body[3]!,
    repetition: body[82]!,
    component: body[104]!,
    segment: body[105]!,
  };
  const isa = body.slice(0, ISA_LENGTH - 1);
  if (isa.includes(separators.segment) || isa.split(separators.element).length !== 17) {
    throw new ValidationError([
      { code: 'X12_ISA_LENGTH', message: 'The ISA segment is not 106 characters long, so its separators cannot be read. The file is damaged or was edited by hand.' },
    ]);
  }
  const afterFirst = body.slice(ISA_LENGTH);
  const lineBreak = /^(\r\n|\n|\r)?/.exec(afterFirst)![1] ?? '';
  const segments: X12Segment[] = [];
  const pieces = body.split(separators.segment);
  const ending = pieces.at(-1)!.trim() === '' ? pieces.pop()! : '';
  for (const raw of pieces) {
    const trimmed = raw.replace(/^[\r\n]+/, '');
    if (trimmed.trim() === '') continue;
    const [tag, ...elements] = trimmed.split(separators.element);
    segments.push(new X12Segment(tag!, elements));
  }
  return new X12Document(segments, separators, lineBreak, ending);
}

// X12 amounts are money: parsed and written by the one money module.
export { centsFromX12, x12Amount } from '../../money.js';
