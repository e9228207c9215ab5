// The chart summary as titled sections of text lines: one layout shared by the terminal view and the PDF.
import { DateTime } from 'luxon';
import type { ChartSummary } from './summary.js';
import { fullName } from './lookup.js';

export interface Section {
  title: string;
  lines: string[];
}

const none = (lines: string[], empty: string) => (lines.length ? lines : [empty]);

export function summarySections(summary: ChartSummary, zone: string): Section[] {
  const p = summary.patient;
  const local = (at: Date) => DateTime.fromJSDate(at, { zone }).toFormat('yyyy-MM-dd HH:mm');
  const day = (at: Date) => DateTime.fromJSDate(at, { zone }).toISODate();
  const address = [p.address.line1, p.address.line2, [p.address.city, p.address.state, p.address.zip].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  const status = p.deceasedDate ? `deceased ${p.deceasedDate}` : p.mergedIntoMrn ? `merged into chart ${p.mergedIntoMrn}` : p.active ? 'active' : 'inactive';
  return [
    {
      title: `${fullName({ firstName: p.name.first, lastName: p.name.last, middleName: p.name.middle, suffix: p.name.suffix })}  (MRN ${p.mrn})`,
      lines: [
        `Born ${p.dob}, ${p.sex}, ${status}`,
        ...(address ? [`Address: ${address}`] : []),
        ...Object.entries(p.phones).filter(([, v]) => v).map(([kind, v]) => `Phone (${kind}): ${v}`),
        ...(p.email ? [`Email: ${p.email}`] : []),
        ...(p.preferredChannel ? [`Prefers contact by ${p.preferredChannel}`] : []),
      ],
    },
    { title: 'Insurance', lines: none(summary.insurance.map((c) => `${c.priority}. ${c.payer}, member ${c.memberId}${c.groupNumber ? `, group ${c.groupNumber}` : ''}`), 'No active coverage on file.') },
    { title: 'Allergies', lines: none(summary.allergies.map((a) => `${a.substance}${a.reaction ? `: ${a.reaction}` : ''}${a.severity ? ` (${a.severity})` : ''}`), 'No known allergies recorded.') },
    { title: 'Active problems', lines: none(summary.problems.map((x) => `${x.code}  ${x.display ?? ''}${x.onsetDate ? `  since ${x.onsetDate}` : ''}`), 'None recorded.') },
    { title: 'Medications', lines: none(summary.medications.map((m) => `${m.display}${m.dose !== null ? ` ${m.dose}${m.doseUnit ? ` ${m.doseUnit}` : ''}` : ''}${m.frequency ? `, ${m.frequency}` : ''}`), 'None recorded.') },
    { title: 'Last vital signs', lines: none(summary.vitals.map((v) => `${v.name}: ${v.value ?? ''}${v.value !== null && v.unit ? ` ${v.unit}` : v.unit ?? ''}  (${day(v.effectiveAt)})`), 'None recorded.') },
    { title: 'Immunizations', lines: none(summary.immunizations.map((i) => `${i.date}  CVX ${i.cvxCode}${i.display ? ` ${i.display}` : ''}`), 'None recorded.') },
    { title: 'Recent labs', lines: none(summary.labs.map((l) => `${day(l.effectiveAt)}  ${l.display ?? l.code}: ${l.value ?? l.text ?? ''}${l.unit ? ` ${l.unit}` : ''}${l.interpretation && l.interpretation !== 'N' ? ` [${l.interpretation}]` : ''}`), 'None recorded.') },
    { title: 'Upcoming appointments', lines: none(summary.appointments.map((a) => `${local(a.startsAt)}  ${a.durationMinutes} min${a.provider ? ` with ${a.provider}` : ''}${a.reason ? `: ${a.reason}` : ''}`), 'None booked.') },
    { title: 'Open recalls', lines: none(summary.recalls.map((r) => `${r.rule}, due ${r.dueDate}`), 'None open.') },
    {
      title: 'Care gaps',
      lines: summary.careGaps === null ? ["Not available: the quality measures' value sets are not loaded (practice valueset import)."] : none(summary.careGaps.map((g) => `${g.measure} ${g.title}: ${g.action}`), 'No open care gaps.'),
    },
  ];
}
