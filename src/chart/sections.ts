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
    { title: 'Insurance', lines: none(summary.insurance.map((c) => `${c.order}: ${c.payer}, member ${c.memberId}${c.groupNumber ? `, group ${c.groupNumber}` : ''}${c.subscriber ? `, subscriber ${[c.subscriber.firstName, c.subscriber.lastName].filter(Boolean).join(' ')} (${c.relationship})` : ''}${c.effectiveTo ? `, until ${c.effectiveTo}` : ''}${c.state === 'not yet in force' ? `, from ${c.effectiveFrom}` : ''}`), 'No active coverage on file.') },
    { title: 'Advance directives', lines: none(summary.advanceDirectives.map((d) => `${d.label}${d.signedDate ? `, signed ${d.signedDate}` : ''}${d.custodian ? `; original with ${d.custodian}` : ''}${d.location ? `; kept: ${d.location}` : ''}`), 'None on file.') },
    { title: 'Allergies', lines: none(summary.allergies.map((a) => `${a.substance}${a.reaction ? `: ${a.reaction}` : ''}${a.severity ? ` (${a.severity})` : ''}`), 'No known allergies recorded.') },
    { title: 'Active problems', lines: none(summary.problems.map((x) => `${x.code}  ${x.display ?? ''}${x.onsetDate ? `  since ${x.onsetDate}` : ''}`), 'None recorded.') },
    { title: 'Medications', lines: none(summary.medications.map((m) => `${m.display}${m.dose !== null ? ` ${m.dose}${m.doseUnit ? ` ${m.doseUnit}` : ''}` : ''}${m.frequency ? `, ${m.frequency}` : ''}`), 'None recorded.') },
    { title: 'Last vital signs', lines: none(summary.vitals.map((v) => `${v.name}: ${v.value ?? ''}${v.value !== null && v.unit ? ` ${v.unit}` : v.unit ?? ''}  (${day(v.effectiveAt)})`), 'None recorded.') },
    { title: 'Immunizations', lines: none(summary.immunizations.map((i) => `${i.date}  CVX ${i.cvxCode}${i.display ? ` ${i.display}` : ''}`), 'None recorded.') },
    {
      title: 'Recent labs',
      lines: none(
        summary.labs.flatMap((l) => [
          `${day(l.effectiveAt)}  ${l.display ?? l.code}${l.components ? '' : `: ${l.result}`}${l.range ? `  (ref ${l.range})` : ''}${l.interpretation && l.interpretation !== 'N' ? ` [${l.interpretation}]` : ''}`,
          ...(l.components ?? []).map((c) => `    ${c.display ?? c.code}: ${c.result}${c.range ? `  (ref ${c.range})` : ''}${c.interpretation && c.interpretation !== 'N' ? ` [${c.interpretation}]` : ''}`),
        ]),
        'None recorded.',
      ),
    },
    { title: 'Open orders', lines: none(summary.openOrders.map((o) => `${day(o.orderedAt)}  ${o.kind} ${o.code}${o.display ? ` ${o.display}` : ''}${o.reasonCode ? `, for ${o.reasonCode}` : ''}${o.provider ? ` (${o.provider})` : ''}`), 'None open.') },
    { title: 'Past medical history', lines: none(summary.pastMedicalHistory.map((x) => `${x.date ?? 'date unknown'}  ${x.condition}`), 'None recorded.') },
    { title: 'Family history', lines: none(summary.familyHistory.map((f) => `${f.relation ?? 'relative'}: ${f.condition}${f.onsetAge !== null ? ` (from age ${f.onsetAge})` : ''}`), 'None recorded.') },
    {
      title: 'Social history',
      lines: none(
        [...(summary.socialHistory.smoking ? [`Smoking: ${summary.socialHistory.smoking.display} (${day(summary.socialHistory.smoking.effectiveAt)})`] : []), ...summary.socialHistory.entries.map((e) => `${e.text}${e.since ? ` (since ${e.since})` : ''}`)],
        'None recorded.',
      ),
    },
    { title: 'Surgical history', lines: none(summary.surgicalHistory.map((x) => `${x.date ?? 'date unknown'}  ${x.procedure}`), 'None recorded.') },
    { title: 'Upcoming appointments', lines: none(summary.appointments.map((a) => `${local(a.startsAt)}  ${a.durationMinutes} min${a.provider ? ` with ${a.provider}` : ''}${a.reason ? `: ${a.reason}` : ''}`), 'None booked.') },
    { title: 'Open recalls', lines: none(summary.recalls.map((r) => `${r.rule}, due ${r.dueDate}`), 'None open.') },
    {
      title: 'Care gaps',
      lines: summary.careGaps === null ? ["Not available: the quality measures' value sets are not loaded (practice valueset import)."] : none(summary.careGaps.map((g) => `${g.measure} ${g.title}: ${g.action}`), 'No open care gaps.'),
    },
  ];
}
