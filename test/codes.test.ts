import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cvxEntry } from '../src/codes/code-lists.js';
import { isValidNpi, npiCheckDigit } from '../src/codes/npi.js';
import { isValidLoinc } from '../src/codes/loinc.js';
import { normalizeNdc } from '../src/codes/ndc.js';
import { normalizeIcd10, icd10ForClaim } from '../src/codes/icd10.js';
import { procedureCodeSystem, parseModifiers } from '../src/codes/procedure-codes.js';
import { normalizePhone, normalizeZip } from '../src/codes/contact.js';
import { CodeSystem } from '../src/codes/systems.js';

describe('code checks', () => {
  it('checks NPIs with the Luhn rule and the 80840 prefix', () => {
    expect(isValidNpi('1234567893')).toBe(true); // the CMS worked example
    expect(isValidNpi('1234567890')).toBe(false);
    expect(isValidNpi('123456789')).toBe(false);
    expect(npiCheckDigit('123456789')).toBe('3');
  });
  it('checks LOINC check digits', () => {
    expect(isValidLoinc('4548-4')).toBe(true);
    expect(isValidLoinc('8480-6')).toBe(true);
    expect(isValidLoinc('2345-7')).toBe(true);
    expect(isValidLoinc('4548-3')).toBe(false);
  });
  it('pads 10-digit NDCs to 11 by their segments', () => {
    expect(normalizeNdc('0002-7510-01')).toBe('00002751001');
    expect(normalizeNdc('50242-040-62')).toBe('50242004062');
    expect(normalizeNdc('60505-0141-1')).toBe('60505014101');
    expect(normalizeNdc('00002751001')).toBe('00002751001');
    expect(normalizeNdc('0002751001')).toBeUndefined();
  });
  it('normalises ICD-10-CM with or without the dot', () => {
    expect(normalizeIcd10('e119')).toBe('E11.9');
    expect(normalizeIcd10('I10')).toBe('I10');
    expect(normalizeIcd10('Z79.4')).toBe('Z79.4');
    expect(normalizeIcd10('u071')).toBe('U07.1');
    expect(normalizeIcd10('EE1.9')).toBe(undefined);
    expect(normalizeIcd10('12345')).toBe(undefined);
    expect(icd10ForClaim('E11.65')).toBe('E1165');
  });
  it('ships every CVX code of the hand-entered CDC table (reference/cvx.tsv.gz is built from fixtures/codes/cvx.tsv)', () => {
    const rows = readFileSync(join(import.meta.dirname, '../fixtures/codes/cvx.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
    expect(rows).toHaveLength(76);
    for (const [code, status, name] of rows) expect(cvxEntry(code!), code).toEqual({ status, name });
  });

  it('tells CPT from HCPCS and parses modifiers', () => {
    expect(procedureCodeSystem('99214')).toBe(CodeSystem.cpt);
    expect(procedureCodeSystem('G0439')).toBe(CodeSystem.hcpcs);
    expect(procedureCodeSystem('3074F')).toBe(CodeSystem.cpt);
    expect(procedureCodeSystem('9921')).toBeUndefined();
    expect(parseModifiers('25, 59 x')).toEqual({ modifiers: ['25', '59'], invalid: ['X'] });
  });
  it('normalises phones and ZIPs', () => {
    expect(normalizePhone('(555) 123-4567')).toBe('555-123-4567');
    expect(normalizePhone('+1 555.123.4567 ext 12')).toBe('555-123-4567 x12');
    expect(normalizePhone('123-4567')).toBeUndefined();
    expect(normalizeZip('2134')).toBeUndefined();
    expect(normalizeZip('021341234')).toBe('02134-1234');
  });
});
