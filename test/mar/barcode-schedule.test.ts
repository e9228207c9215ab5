import { describe, expect, it } from 'vitest';
import { BarcodeError, gs1CheckDigitValid, parseProductBarcode } from '../../src/mar/barcode.js';
import { doseTimes, parseSchedule } from '../../src/mar/schedule.js';

const GS = '\u001d';

describe('product barcodes', () => {
  it('reads a GS1 DataMatrix in human-readable form (AIs 01, 17, 10, 21)', () => {
    const scan = parseProductBarcode('(01)00300027510019(17)270630(10)A123B(21)SN99');
    expect(scan).toMatchObject({ gtin: '00300027510019', lot: 'A123B', serial: 'SN99', expiry: '2027-06-30', symbology: 'gs1' });
    expect(scan.ndc11Candidates).toContain('00002751001');
  });

  it('reads the raw element string with FNC1 separators and a symbology prefix; day 00 is the month end', () => {
    const scan = parseProductBarcode(`]d20100300027510019${'17270200'}10LOT7${GS}21X1`);
    expect(scan).toMatchObject({ lot: 'LOT7', serial: 'X1', expiry: '2027-02-28' });
    const lotFirst = parseProductBarcode(`010031234567890610ABC${GS}17261231`);
    expect(lotFirst).toMatchObject({ gtin: '00312345678906', lot: 'ABC', expiry: '2026-12-31' });
  });

  it('refuses a GTIN with a wrong check digit and non-drug GTINs', () => {
    expect(gs1CheckDigitValid('00312345678906')).toBe(true);
    expect(() => parseProductBarcode('(01)00312345678907(10)A')).toThrow(BarcodeError);
    expect(() => parseProductBarcode('(01)00614141999996')).toThrow(/not a US drug code/);
  });

  it('reads UPC-A drug codes and NDCs in 10- and 11-digit forms', () => {
    expect(parseProductBarcode('300027510019').ndc11Candidates).toContain('00002751001');
    expect(parseProductBarcode('50242-040-62').ndc11Candidates).toEqual(['50242004062']);
    expect(parseProductBarcode('50242004062').ndc11Candidates).toEqual(['50242004062']);
    expect(parseProductBarcode('5024204062').ndc11Candidates).toEqual(['05024204062', '50242004062', '50242040602']);
    expect(() => parseProductBarcode('hello')).toThrow(BarcodeError);
  });
});

describe('administration schedules', () => {
  it('parses the usual forms', () => {
    expect(parseSchedule('BID 20:00, 08:00')).toEqual({ kind: 'fixed', times: ['08:00', '20:00'] });
    expect(parseSchedule('tid').times).toHaveLength(3);
    expect(parseSchedule('Q6H')).toEqual({ kind: 'interval', times: [], intervalHours: 6 });
    expect(parseSchedule('PRN Q4H')).toEqual({ kind: 'prn', times: [], intervalHours: 4 });
    expect(() => parseSchedule('BID 08:00')).toThrow(/2 dose/);
    expect(() => parseSchedule('whenever')).toThrow(/not understood/);
  });

  const zone = 'America/New_York';
  it('keeps clock times across the spring-forward day, moving a skipped time past the gap', () => {
    const times = doseTimes(parseSchedule('DAILY 02:30'), { startsAt: new Date('2026-03-01T00:00:00Z'), timeZone: zone }, new Date('2026-03-07T00:00:00Z'), new Date('2026-03-10T00:00:00Z'));
    expect(times.map((t) => t.toISOString())).toEqual(['2026-03-07T07:30:00.000Z', '2026-03-08T07:30:00.000Z', '2026-03-09T06:30:00.000Z']);
  });

  it('keeps 08:00 at 08:00 when clocks fall back, while Q8H counts real hours', () => {
    const fixed = doseTimes(parseSchedule('DAILY 08:00'), { startsAt: new Date('2026-10-01T00:00:00Z'), timeZone: zone }, new Date('2026-10-31T00:00:00Z'), new Date('2026-11-02T00:00:00Z'));
    expect(fixed.map((t) => t.toISOString())).toEqual(['2026-10-31T12:00:00.000Z', '2026-11-01T13:00:00.000Z']);
    const interval = doseTimes(parseSchedule('Q8H'), { startsAt: new Date('2026-10-31T12:00:00Z'), timeZone: zone }, new Date('2026-10-31T12:00:00Z'), new Date('2026-11-01T20:00:00Z'));
    const gaps = interval.slice(1).map((t, i) => (t.getTime() - interval[i]!.getTime()) / 3_600_000);
    expect(gaps).toEqual([8, 8, 8, 8]);
  });

  it('stays within the order start and stop', () => {
    const times = doseTimes(parseSchedule('BID 08:00,20:00'), { startsAt: new Date('2026-10-05T14:00:00Z'), stopsAt: new Date('2026-10-06T13:00:00Z'), timeZone: zone }, new Date('2026-10-01T00:00:00Z'), new Date('2026-10-10T00:00:00Z'));
    expect(times.map((t) => t.toISOString())).toEqual(['2026-10-06T00:00:00.000Z', '2026-10-06T12:00:00.000Z']);
  });
});
