// A patient's place in the practice: when they joined (or that they were here before the history
// starts), their clinician and office, their coverage, how they like to be contacted and what they
// consented to. Writes the patient row, consents, emergency contact and coverages.
// A new patient's registration is sometimes incomplete (the card's member id not entered, no ZIP
// code): the scrubber holds their first claim and the biller fixes it, as happens every week.
import type { Calendar } from './calendar.js';
import { ETHNICITIES, FIRST_NAMES, RACES, SURNAMES } from './catalog.js';
import { PatientChart, digits } from './chart.js';
import { phoneNumber, type Person } from './person.js';
import type { Random } from './random.js';
import type { RowSink } from './rows.js';

export interface DemoStaff {
  providers: { id: number; seesChildren: boolean; share: number }[];
  /** The main office first. */
  locations: { id: number; placeOfService: string }[];
  payers: { medicare: number; medicareAdvantage: number; medicaid: number; commercial: number[] };
}

export type Plan = 'medicare' | 'advantage' | 'medicaid' | 'commercial' | 'none';

export interface Registration {
  chart: PatientChart;
  isNew: boolean;
  /** First day in the practice (the history's start for established patients). */
  startDay: number;
  deceasedDay: number | null;
  /** Last day they could be seen. */
  lastDay: number;
  pcp: number;
  /** Clinicians who may see them (children: those who see children). */
  providers: DemoStaff['providers'];
  placeOfService: string;
  plan: Plan;
  medicare: boolean;
}

const MBI_LETTERS = 'ACDEFGHJKMNPQRTUVWXY';

/** A Medicare Beneficiary Identifier in the CMS format (11 characters, no S, L, O, I, B or Z). */
export function mbi(r: Random): string {
  const letter = () => r.pick([...MBI_LETTERS]);
  const either = () => (r.chance(0.5) ? letter() : String(r.int(0, 9)));
  return `${r.int(1, 9)}${letter()}${either()}${r.int(0, 9)}${letter()}${either()}${r.int(0, 9)}${letter()}${letter()}${r.int(0, 9)}${r.int(0, 9)}`;
}

export function registerPatient(r: Random, cal: Calendar, sink: RowSink, staff: DemoStaff, person: Person, history: { start: number; days: number }): Registration {
  const today = cal.today;
  const { age, adult, dobDay } = person;
  const isNew = r.chance(0.12);
  // A new patient's first visit is the day they join: a weekday (a weekend moves on to Monday).
  const joined = history.start + r.int(0, history.days - 30);
  const startDay = Math.max(dobDay, isNew ? (cal.weekday(joined) < joined ? cal.weekday(joined) + 3 : cal.weekday(joined)) : history.start);
  const deceasedDay = age >= 75 && r.chance(0.03) ? startDay + r.int(Math.min(60, today - startDay - 1), today - startDay - 1) : null;
  const providers = staff.providers.filter((p) => adult || p.seesChildren);
  const pcp = r.weighted(providers.map((p) => [p.id, p.share] as const));
  const location = staff.locations[r.chance(0.7) ? 0 : 1] ?? staff.locations[0]!;
  const plan: Plan = age >= 65 ? r.weighted([['medicare', 70], ['advantage', 27], ['medicaid', 3]] as const) : r.weighted([['medicaid', adult ? 18 : 35], ['commercial', adult ? 72 : 58], ['none', adult ? 10 : 7]] as const);
  const medicare = plan === 'medicare' || plan === 'advantage';
  const preferredChannel = r.weighted([['sms', person.phoneMobile ? 45 : 0], ['email', person.email ? 25 : 0], ['phone', 20], ['letter', 10]] as const);
  const incomplete = isNew && r.chance(0.2) ? r.weighted([['member-id', 60], ['zip', 40]] as const) : null;

  // The chart number follows the id so a second demo in the same database never collides.
  const patientId = sink.add('patients', {
    mrn: `DEMO${String(sink.peek('patients')).padStart(7, '0')}`,
    firstName: person.firstName,
    middleName: person.middleName,
    lastName: person.lastName,
    dob: cal.date(dobDay),
    sex: person.sex,
    race: r.weighted(RACES),
    ethnicity: r.weighted(ETHNICITIES),
    address1: person.address1,
    city: person.city,
    state: 'NY',
    zip: incomplete === 'zip' ? null : person.zip,
    phoneHome: person.phoneHome,
    phoneMobile: person.phoneMobile,
    email: person.email,
    preferredChannel,
    language: r.weighted([['en', 87], ['es', 11], ['zh', 2]] as const),
    deceasedDate: deceasedDay === null ? null : cal.date(deceasedDay),
    active: deceasedDay === null,
    searchName: `${person.lastName} ${person.firstName}`.toLowerCase(),
    isTestData: true,
  });
  const chart = new PatientChart(sink, r, cal, patientId, dobDay, location.id);
  const registered = cal.at(startDay, 8 * 60);

  for (const channel of ['sms', 'email', 'phone', 'letter'] as const) {
    if ((channel === 'sms' && !person.phoneMobile) || (channel === 'email' && !person.email)) continue;
    const optedOut = r.chance(channel === 'sms' ? 0.04 : channel === 'email' ? 0.03 : 0.01);
    sink.add('communicationConsents', {
      patientId,
      channel,
      optedOut,
      consentedAt: registered,
      optedOutAt: optedOut ? cal.at(r.int(startDay, today - 1), 12 * 60) : null,
      note: null,
    });
  }
  if (!adult || r.chance(0.6)) {
    sink.add('emergencyContacts', {
      patientId,
      name: `${r.pick(FIRST_NAMES[r.chance(0.5) ? 'female' : 'male'])} ${adult && r.chance(0.5) ? r.pick(SURNAMES) : person.lastName}`,
      relationship: adult ? r.pick(['spouse', 'child', 'sibling', 'friend']) : 'parent',
      phone: phoneNumber(r),
      email: null,
    });
  }

  // Coverage: Medicare from 65 (some with a supplemental plan), Medicaid, employer plans with dependents.
  const coverage = (payerId: number, priority: number, memberId: string, from: string, relationship = '18', planName: string | null = null) => {
    const self = relationship === '18';
    const subscriberSex = self ? person.sex : r.chance(0.5) ? 'female' : 'male';
    sink.add('coverages', {
      patientId,
      payerId,
      priority,
      memberId: incomplete === 'member-id' && priority === 1 ? '' : memberId,
      groupNumber: planName ? `GRP${digits(r, 5)}` : null,
      planName,
      relationship,
      subscriberFirstName: self ? person.firstName : r.pick(FIRST_NAMES[subscriberSex]),
      subscriberLastName: person.lastName,
      subscriberDob: self ? cal.date(dobDay) : cal.date(relationship === '19' ? dobDay - r.int(22, 40) * 365 : dobDay + r.int(-2000, 2000)),
      subscriberSex,
      subscriberAddress1: null,
      subscriberCity: person.city,
      subscriberState: 'NY',
      subscriberZip: person.zip,
      effectiveFrom: from,
      effectiveTo: null,
      active: true,
    });
  };
  const coveredSince = cal.date(Math.max(dobDay, history.start - r.int(30, 3000)));
  if (medicare) {
    const sixtyFifth = `${cal.year(dobDay) + 65}-${String(cal.month(dobDay)).padStart(2, '0')}-01`;
    coverage(plan === 'advantage' ? staff.payers.medicareAdvantage : staff.payers.medicare, 1, mbi(r), sixtyFifth);
    if (plan === 'medicare' && r.chance(0.4)) coverage(r.pick(staff.payers.commercial), 2, `SUP${digits(r, 9)}`, sixtyFifth, '18', 'Medicare supplement');
    else if (r.chance(0.05)) coverage(staff.payers.medicaid, 2, `DM${digits(r, 8)}`, coveredSince);
  } else if (plan === 'medicaid') {
    coverage(staff.payers.medicaid, 1, `DM${digits(r, 8)}`, coveredSince);
  } else if (plan === 'commercial') {
    const relationship = !adult ? '19' : r.chance(0.2) ? '01' : '18';
    coverage(r.pick(staff.payers.commercial), 1, `XDM${digits(r, 9)}`, coveredSince, relationship, r.pick(['PPO', 'HMO', 'High deductible PPO']));
  }

  return { chart, isNew, startDay, deceasedDay, lastDay: deceasedDay ?? today - 1, pcp, providers, placeOfService: location.placeOfService, plan, medicare };
}
