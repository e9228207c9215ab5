// Product barcodes on medication packages: GS1 element strings (GS1-128, GS1 DataMatrix, DataBar) with
// application identifiers 01 GTIN, 17 expiry, 10 lot, 21 serial; UPC-A linear codes; and bare NDCs.
// In the US a drug's GTIN-14 is 0 + "03" + NDC-10 + check digit, and its UPC-A is "3" + NDC-10 + check.
import { normalizeNdc } from '../codes/ndc.js';

export interface ScannedProduct {
  /** The 11-digit NDCs the scan can stand for: one when the segments are known, up to three from a bare NDC-10. */
  ndc11Candidates: string[];
  gtin?: string;
  lot?: string;
  serial?: string;
  /** YYYY-MM-DD; a GS1 day of 00 means the last day of the month. */
  expiry?: string;
  symbology: 'gs1' | 'upc-a' | 'ndc';
}

export class BarcodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BarcodeError';
  }
}

const GS = '\u001d';
// Fixed-length AIs (GS1 General Specifications, figure 5.10.1-2); the others end at a GS or the end.
const FIXED_LENGTH: Record<string, number> = { '00': 18, '01': 14, '02': 14, '11': 6, '12': 6, '13': 6, '15': 6, '16': 6, '17': 6, '20': 2 };
const VARIABLE = new Set(['10', '21', '22', '30', '37', '240', '241', '250', '251', '400', '710', '711', '712', '713', '714']);

/** GS1 mod-10 check digit over all digits but the last. */
export function gs1CheckDigitValid(digits: string): boolean {
  let sum = 0;
  const body = digits.slice(0, -1);
  for (let i = 0; i < body.length; i++) {
    const d = body.charCodeAt(body.length - 1 - i) - 48;
    sum += i % 2 === 0 ? d * 3 : d;
  }
  return (10 - (sum % 10)) % 10 === Number(digits.at(-1));
}

/** The three 11-digit forms a hyphen-less NDC-10 may have (4-4-2, 5-3-2, 5-4-1 labels). */
export function ndc10Candidates(ndc10: string): string[] {
  return [
    `0${ndc10}`,
    `${ndc10.slice(0, 5)}0${ndc10.slice(5)}`,
    `${ndc10.slice(0, 9)}0${ndc10.slice(9)}`,
  ];
}

function gs1Expiry(yymmdd: string): string {
  const yy = Number(yymmdd.slice(0, 2));
  const mm = Number(yymmdd.slice(2, 4));
  let dd = Number(yymmdd.slice(4, 6));
  if (mm < 1 || mm > 12) throw new BarcodeError(`The expiry date in the barcode (${yymmdd}) is not a valid date.`);
  // GS1: years within 49 ahead / 50 behind the current century; for medication lots 20YY is safe.
  const year = 2000 + yy;
  if (dd === 0) dd = new Date(Date.UTC(year, mm, 0)).getUTCDate();
  return `${year}-${String(mm).padStart(2, '0')}-${String(dd).padStart(2, '0')}`;
}

function parseElementString(data: string): Map<string, string> {
  const fields = new Map<string, string>();
  // Human-readable form: (01)00301430957010(17)250630(10)A1
  if (data.startsWith('(')) {
    for (const match of data.matchAll(/\((\d{2,4})\)([^(]*)/g)) fields.set(match[1]!, match[2]!);
    return fields;
  }
  let i = 0;
  while (i < data.length) {
    if (data[i] === GS) {
      i++;
      continue;
    }
    const two = data.slice(i, i + 2);
    const three = data.slice(i, i + 3);
    let ai: string;
    if (FIXED_LENGTH[two] !== undefined || VARIABLE.has(two)) ai = two;
    else if (VARIABLE.has(three)) ai = three;
    else throw new BarcodeError(`The barcode has an application identifier this system does not read (${two}).`);
    i += ai.length;
    const fixed = FIXED_LENGTH[ai];
    if (fixed !== undefined) {
      fields.set(ai, data.slice(i, i + fixed));
      i += fixed;
    } else {
      const end = data.indexOf(GS, i);
      fields.set(ai, data.slice(i, end === -1 ? undefined : end));
      i = end === -1 ? data.length : end + 1;
    }
  }
  return fields;
}

export function parseProductBarcode(raw: string): ScannedProduct {
  // Scanners send FNC1 as the GS character; some keyboard-wedge set-ups type it as text.
  let data = raw.trim().replace(/<GS>|\{GS\}|\\x1d/gi, GS);
  // Symbology identifiers: ]d2 DataMatrix, ]C1 GS1-128, ]e0 DataBar, ]Q3 QR.
  const symbology = /^\](d2|C1|e0|Q3)/.exec(data);
  if (symbology) data = data.slice(3);

  if (data.startsWith('(') || (data.startsWith('01') && data.length > 16)) {
    const fields = parseElementString(data);
    const gtin = fields.get('01');
    if (!gtin || !/^[0-9]{14}$/.test(gtin)) throw new BarcodeError('The barcode has no product number (GTIN, AI 01).');
    if (!gs1CheckDigitValid(gtin)) throw new BarcodeError('The product number in the barcode fails its check digit: scan it again.');
    if (gtin.slice(1, 3) !== '03') throw new BarcodeError('The product number is not a US drug code (NDC): it cannot be matched to an order.');
    const expiryField = fields.get('17');
    return {
      ndc11Candidates: ndc10Candidates(gtin.slice(3, 13)),
      gtin,
      lot: fields.get('10') || undefined,
      serial: fields.get('21') || undefined,
      expiry: expiryField ? gs1Expiry(expiryField) : undefined,
      symbology: 'gs1',
    };
  }
  if (/^[0-9]{12}$/.test(data)) {
    if (!gs1CheckDigitValid(data)) throw new BarcodeError('The UPC barcode fails its check digit: scan it again.');
    if (!data.startsWith('3')) throw new BarcodeError('The UPC barcode is not a drug code (NDC).');
    return { ndc11Candidates: ndc10Candidates(data.slice(1, 11)), symbology: 'upc-a' };
  }
  const exact = normalizeNdc(data);
  if (exact) return { ndc11Candidates: [exact], symbology: 'ndc' };
  if (/^[0-9]{10}$/.test(data)) return { ndc11Candidates: ndc10Candidates(data), symbology: 'ndc' };
  throw new BarcodeError('The product barcode was not recognised (expected GS1 DataMatrix/GS1-128, UPC-A or an NDC).');
}
