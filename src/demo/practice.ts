// The demo practice's own set-up: a fictional group with four clinicians, two offices, the usual payer
// mix and a test-mode clearinghouse. Written through the same set-up code as a real practice.json.
import { npiCheckDigit } from '../codes/npi.js';
import type { SetupDocument } from '../practice/setup.js';

const npi = (base9: string) => `${base9}${npiCheckDigit(base9)}`;

export const DEMO_PROVIDERS = [
  { npi: npi('199990001'), firstName: 'Alex', lastName: 'Demowell', credentials: 'MD', taxonomyCode: '207Q00000X', defaultLocation: 'MAIN', seesChildren: true, share: 35 },
  { npi: npi('199990002'), firstName: 'Priya', lastName: 'Samplefield', credentials: 'MD', taxonomyCode: '207R00000X', defaultLocation: 'MAIN', seesChildren: false, share: 30 },
  { npi: npi('199990003'), firstName: 'Jordan', lastName: 'Testwood', credentials: 'NP', taxonomyCode: '363LF0000X', defaultLocation: 'NORTH', seesChildren: true, share: 20 },
  { npi: npi('199990004'), firstName: 'Sam', lastName: 'Mockley', credentials: 'PA', taxonomyCode: '363A00000X', defaultLocation: 'NORTH', seesChildren: true, share: 15 },
];

export const DEMO_LOCATIONS = ['MAIN', 'NORTH'];

export const DEMO_PAYERS = {
  medicare: 'DEMOMCARE',
  medicareAdvantage: 'DEMOMADV',
  medicaid: 'DEMOMCAID',
  commercial: ['DEMOBLUE', 'DEMOEXAMPLE', 'DEMOSAMPLE'],
};

// ZIP+4 throughout: the billing provider's address on a claim needs all nine digits.
const office = { city: 'Demoville', state: 'NY', zip: '12301-0100' };

export function demoSetup(includePractice: boolean): SetupDocument {
  return {
    ...(includePractice
      ? {
          practice: {
            legalName: 'Demo Family Practice PC (fictional)',
            tin: '99-1234567',
            billingNpi: npi('299990001'),
            taxonomyCode: '261QP2300X',
            address1: '1 Example Street',
            ...office,
            phone: '518-555-0100',
            timeZone: 'America/New_York',
          },
        }
      : {}),
    locations: [
      { code: 'MAIN', name: 'Demo Family Practice, Example Street', placeOfService: '11', address1: '1 Example Street', ...office, phone: '518-555-0100' },
      { code: 'NORTH', name: 'Demo Family Practice, North Office', placeOfService: '11', address1: '200 Sample Avenue', city: 'Sampleton', state: 'NY', zip: '12302-0200', phone: '518-555-0101' },
    ],
    providers: DEMO_PROVIDERS.map(({ seesChildren: _children, share: _share, ...provider }) => provider),
    payers: [
      { payerId: DEMO_PAYERS.medicare, name: 'Medicare Part B (demo)', claimFilingIndicator: 'MB', timelyFilingDays: 365, address1: 'PO Box 5550', city: 'Mockport', state: 'NY', zip: '12304-5550' },
      { payerId: DEMO_PAYERS.medicareAdvantage, name: 'Demo Senior Advantage HMO', claimFilingIndicator: '16', timelyFilingDays: 180 },
      { payerId: DEMO_PAYERS.medicaid, name: 'State Medicaid (demo)', claimFilingIndicator: 'MC', timelyFilingDays: 90 },
      { payerId: DEMO_PAYERS.commercial[0]!, name: 'Demo Blue Cross Blue Shield', claimFilingIndicator: 'BL', timelyFilingDays: 180 },
      { payerId: DEMO_PAYERS.commercial[1]!, name: 'Example Health Plan', claimFilingIndicator: 'CI', timelyFilingDays: 90 },
      { payerId: DEMO_PAYERS.commercial[2]!, name: 'Sample Mutual Insurance', claimFilingIndicator: 'CI', timelyFilingDays: 120 },
    ],
    clearinghouses: [
      {
        name: 'Demo Clearinghouse',
        senderId: 'DEMOPRACTICE',
        receiverId: 'DEMOCH',
        submitterName: 'Demo Family Practice PC',
        submitterContactName: 'Billing Office',
        submitterContactPhone: '518-555-0102',
        receiverName: 'Demo Clearinghouse',
        usageIndicator: 'T',
        isDefault: true,
      },
    ],
  };
}
