// practice referrals create <mrn> --to ... --reason ... [--attach-summary] | list | status <id> [status]
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { renderFields, renderTable } from '../cli/output.js';
import { PracticeError, UsageError } from '../errors.js';
import { parseDate } from '../chart/time.js';
import type { Db } from '../db/types.js';
import { practiceClock } from '../practice/clock.js';
import type { AuthorizationStatus, ReferralListRow, ReferralStatus } from '../referrals/referrals.js';

interface CreateOptions {
  to: string;
  npi?: string;
  org?: string;
  specialty?: string;
  reason: string;
  reasonCode?: string;
  from?: string;
  followUp?: string;
  authNumber?: string;
  authStatus?: AuthorizationStatus;
  attachSummary?: boolean;
  out: string;
  dryRun?: boolean;
}

/** --follow-up as typed (3/1/2026, tomorrow) → YYYY-MM-DD; a value that is no date goes on to be refused with the rest. */
async function followUpDate(db: Db, now: Date, value: string | undefined): Promise<string | undefined> {
  if (value === undefined) return undefined;
  const { today } = await practiceClock(db, now);
  return parseDate(value, today) ?? value;
}

function referralNumber(value: string): number {
  const id = Number(value);
  if (!Number.isInteger(id) || id <= 0) throw new UsageError(`"${value}" is not a referral number.`, 'See "practice referrals list" for the numbers.');
  return id;
}

export function register(program: Command, action: ActionFactory): void {
  const referrals = program.command('referrals').description('refer patients to other clinicians, with prior authorizations and follow-up dates');

  referrals
    .command('create <mrn>')
    .description('record a referral; with --attach-summary also write the packet (FHIR bundle and PDF summary)')
    .requiredOption('--to <name>', 'the clinician the patient is referred to')
    .requiredOption('--reason <text>', 'why, in words the receiving clinician reads')
    .option('--npi <npi>', "the receiving clinician's NPI")
    .option('--org <name>', 'their practice or hospital')
    .option('--specialty <name>', 'e.g. Cardiology')
    .option('--reason-code <icd10>', 'the reason as an ICD-10-CM code, e.g. I10')
    .option('--from <npi>', 'the referring provider (one of ours), by NPI')
    .option('--follow-up <date>', 'when to check the referral happened (YYYY-MM-DD)')
    .option('--auth-number <number>', "the payer's prior authorization number")
    .option('--auth-status <status>', 'pending, approved, denied, expired or cancelled')
    .option('--attach-summary', 'write the referral packet and mark the referral sent')
    .option('--out <folder>', 'where the packet goes', '.')
    .option('--dry-run', 'check everything and show what would be recorded, without saving')
    .addHelpText(
      'after',
      `
Examples:
  practice referrals create 100234 --to "Dr. Ana Ruiz" --npi 1245319599 --specialty Cardiology \\
      --reason "Resistant hypertension" --reason-code I10 --follow-up 2026-05-01 --attach-summary --out packets/

Without --attach-summary the referral is recorded as a draft; "practice referrals status <id> sent" marks it sent.
The packet files (referral-<id>.json and referral-<id>.pdf) are readable by you only.`,
    )
    .action(
      action(async (ctx, mrn: string, options: CreateOptions) => {
        const db = await ctx.db();
        const { patientByMrn, providerByNpi } = await import('../chart/lookup.js');
        const { createReferral, writeReferralPacket } = await import('../referrals/referrals.js');
        const patient = await patientByMrn(db, mrn);
        const from = options.from ? await providerByNpi(db, options.from) : undefined;
        const input = {
          patientId: patient.id,
          toName: options.to,
          toNpi: options.npi,
          toOrganization: options.org,
          specialty: options.specialty,
          reason: options.reason,
          reasonCode: options.reasonCode,
          fromProviderId: from?.id,
          followUpDate: await followUpDate(db, ctx.now, options.followUp),
          authNumber: options.authNumber,
          authStatus: options.authStatus,
          status: (options.attachSummary ? 'sent' : 'draft') as ReferralStatus,
          sentAt: ctx.now,
        };
        if (options.dryRun) {
          const planned = await createReferral(db, ctx.auditActor, input, { dryRun: true });
          return { data: { dryRun: true, status: planned.status, followUpDate: planned.followUpDate, packet: Boolean(options.attachSummary) }, human: `Checked: the referral can be recorded (as ${planned.status}). Nothing was saved (--dry-run).` };
        }
        const referral = await createReferral(db, ctx.auditActor, input);
        const packet = options.attachSummary
          ? await writeReferralPacket(db, ctx.auditActor, referral.id, resolve(ctx.io.cwd, options.out), ctx.now).catch((error: unknown) => {
              throw new PracticeError('PACKET_NOT_WRITTEN', `Referral ${referral.id} was recorded, but its packet could not be written (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, {
                hint: `Check the --out folder, then run "practice referrals packet ${referral.id} --out <folder>".`,
                cause: error,
              });
            })
          : undefined;
        const lines = [`Referral ${referral.id} recorded (${referral.status}).`];
        if (packet) lines.push(`Packet: ${packet.bundleFile} (${packet.resources} FHIR resources) and ${packet.pdfFile}.`);
        else lines.push(`Write its packet with "practice referrals packet ${referral.id}".`);
        return { data: { id: referral.id, status: referral.status, followUpDate: referral.followUpDate, packet: packet ?? null }, human: lines.join('\n') };
      }),
    );

  referrals
    .command('packet <id>')
    .description("write a referral's packet again: FHIR bundle and PDF summary of the patient's current record")
    .option('--out <folder>', 'where the packet goes', '.')
    .addHelpText('after', '\nExample:\n  practice referrals packet 12 --out ./referrals')
    .action(
      action(async (ctx, id: string, options: { out: string }) => {
        const { writeReferralPacket } = await import('../referrals/referrals.js');
        const packet = await writeReferralPacket(await ctx.db(), ctx.auditActor, referralNumber(id), resolve(ctx.io.cwd, options.out), ctx.now);
        return { data: packet, human: `Packet: ${packet.bundleFile} (${packet.resources} FHIR resources) and ${packet.pdfFile}.` };
      }),
    );

  referrals
    .command('list')
    .description('open referrals, soonest follow-up first (--all for every referral)')
    .option('--all', 'include completed and cancelled referrals')
    .option('--status <status>', 'only this status: draft, sent, scheduled, completed or cancelled')
    .option('--due', 'only those whose follow-up date has come')
    .option('--mrn <mrn>', "only this patient's referrals")
    .addHelpText('after', '\nExamples:\n  practice referrals list --due\n  practice referrals list --all --json')
    .action(
      action(async (ctx, options: { all?: boolean; status?: ReferralStatus; due?: boolean; mrn?: string }) => {
        const db = await ctx.db();
        const { listReferrals, referralStatuses } = await import('../referrals/referrals.js');
        if (options.status && !referralStatuses.includes(options.status)) throw new UsageError(`--status must be one of ${referralStatuses.join(', ')}.`);
        const patientId = options.mrn ? (await (await import('../chart/lookup.js')).patientByMrn(db, options.mrn)).id : undefined;
        const { today } = await practiceClock(db, ctx.now);
        const rows = await listReferrals(db, { all: options.all, status: options.status, dueBy: options.due ? today : undefined, patientId });
        const { recordChartRead } = await import('../db/audit.js');
        await recordChartRead(db, ctx.auditActor, { mrns: rows.map((r) => r.mrn) }, 'referral-list', { referrals: rows.length });
        const human = rows.length
          ? renderTable<ReferralListRow>(rows, [
              { header: 'No.', value: (r) => r.id, align: 'right' },
              { header: 'MRN', value: (r) => r.mrn },
              { header: 'Patient', value: (r) => r.patient },
              { header: 'Referred to', value: (r) => r.to },
              { header: 'Specialty', value: (r) => r.specialty },
              { header: 'Status', value: (r) => r.status },
              { header: 'Prior auth', value: (r) => (r.authNumber || r.authStatus ? `${r.authNumber ?? '-'} (${r.authStatus})` : '') },
              { header: 'Follow up', value: (r) => (r.followUpDate && r.followUpDate <= today && !['completed', 'cancelled'].includes(r.status) ? ctx.out.red(`${r.followUpDate} due`) : r.followUpDate) },
            ], ctx.out)
          : options.due
            ? 'No referral is due for follow-up.'
            : 'No referrals to show.';
        return { data: { referrals: rows }, human };
      }),
    );

  referrals
    .command('status <id> [status]')
    .description('show a referral, or change its status, prior authorization or follow-up date')
    .option('--auth-number <number>', "the payer's prior authorization number")
    .option('--auth-status <status>', 'pending, approved, denied, expired or cancelled')
    .option('--follow-up <date>', 'new follow-up date (YYYY-MM-DD)')
    .addHelpText('after', '\nExamples:\n  practice referrals status 12\n  practice referrals status 12 scheduled --auth-number PA-5531 --auth-status approved --follow-up 2026-06-01')
    .action(
      action(async (ctx, id: string, status: string | undefined, options: { authNumber?: string; authStatus?: AuthorizationStatus; followUp?: string }) => {
        const db = await ctx.db();
        const { listReferrals, updateReferral, referralById } = await import('../referrals/referrals.js');
        const referralId = referralNumber(id);
        const changes = { status: status as ReferralStatus | undefined, authNumber: options.authNumber, authStatus: options.authStatus, followUpDate: await followUpDate(db, ctx.now, options.followUp) };
        const changing = Object.values(changes).some((v) => v !== undefined);
        const current = await referralById(db, referralId);
        if (changing) await updateReferral(db, ctx.auditActor, referralId, changes, ctx.now);
        const [row] = (await listReferrals(db, { all: true, patientId: current.patientId })).filter((r) => r.id === referralId);
        const human = renderFields([
          ['Referral', row!.id],
          ['Patient', `${row!.patient} (MRN ${row!.mrn})`],
          ['Referred to', row!.to],
          ['Specialty', row!.specialty ?? ''],
          ['Status', row!.status],
          ['Prior auth', row!.authNumber || row!.authStatus ? `${row!.authNumber ?? '-'} (${row!.authStatus})` : 'none'],
          ['Follow up', row!.followUpDate ?? ''],
        ]);
        return { data: { referral: row, changed: changing }, human: changing ? `Updated.\n${human}` : human };
      }),
    );
}
