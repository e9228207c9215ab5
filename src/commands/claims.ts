// practice claims build | check | export | import-835 (post) | import-ack | validate | unmatched | write-off | list (status) | show | resubmit | ar | denials | replace | void | settings
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import type { CommandContext } from '../cli/context.js';
import { renderFields, renderTable } from '../cli/output.js';
import { requireDate } from '../chart/time.js';
import { badAmount, ExitCode, mistake, NotFoundError, PracticeError, UsageError } from '../errors.js';
import { formatMoney, parseMoney } from '../money.js';
import { practiceClock, practiceToday } from '../practice/clock.js';


/** A date option, checked before the database is opened (so a form that spells out the year). */
function isoDate(value: string | undefined, option: string): string | undefined {
  return value === undefined ? undefined : requireDate(option, value);
}

function positiveInt(value: string, what: string): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < 1) throw new UsageError(`${what} must be a whole number above zero; "${value}" is not.`);
  return Number(value);
}

async function readText(ctx: CommandContext, file: string): Promise<string> {
  try {
    return await readFile(resolve(ctx.io.cwd, file), 'utf8');
  } catch (error) {
    throw new PracticeError('FILE_UNREADABLE', `Cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, { hint: 'Check the path and that you can read the file.' });
  }
}

/** Today in the practice's zone (the machine's zone may differ: a server in UTC, a laptop travelling). */
const today = async (ctx: CommandContext) => (await practiceClock(await ctx.db(), ctx.now)).today;

function unmatchedTable(ctx: CommandContext, items: { remittanceId: number; traceNumber: string | null; patientControlNumber: string; paidCents: number; reason: string }[]): string {
  return renderTable(items, [
    { header: 'Remittance', value: (u) => u.remittanceId, align: 'right' },
    { header: 'Trace', value: (u) => u.traceNumber ?? '' },
    { header: 'Claim number', value: (u) => u.patientControlNumber },
    { header: 'Paid', value: (u) => formatMoney(u.paidCents), align: 'right' },
    { header: 'Why it was not posted', value: (u) => u.reason },
  ], ctx.out);
}

function failureTable(ctx: CommandContext, failures: { patientControlNumber: string; lineNumber: number | null; code: string; message: string }[]): string {
  return renderTable(failures, [
    { header: 'Claim', value: (f) => f.patientControlNumber },
    { header: 'Line', value: (f) => f.lineNumber ?? '' },
    { header: 'Edit', value: (f) => f.code },
    { header: 'Problem', value: (f) => f.message },
  ], ctx.out);
}

export function register(program: Command, action: ActionFactory): void {
  const claims = program
    .command('claims')
    .description('build, check and export 837P claims, post 835 remittances, AR and denials')
    .addHelpText('after', `
Examples:
  practice claims build --since 2026-01-01      group unbilled charges into claims
  practice claims check                         list every problem that would block a claim
  practice claims export --all --out ./outbox   write the 837P file for the clearinghouse
  practice claims import-835 era-0205.835       post a remittance
  practice claims ar                            what each payer still owes, by age`);

  claims
    .command('build')
    .description('group unbilled charges into claims (per visit, patient, provider and primary payer), and bill the next payer once the previous one has paid')
    .option('--since <date>', 'only charges on or after this service date (YYYY-MM-DD)')
    .option('--dry-run', 'show what would be built without saving anything')
    .addHelpText('after', '\nExamples:\n  practice claims build --dry-run\n  practice claims build --since 2026-01-01')
    .action(
      action(async (ctx, opts: { since?: string; dryRun?: boolean }) => {
        const since = isoDate(opts.since, '--since');
        const { buildClaims } = await import('../claims/build.js');
        const result = await buildClaims(await ctx.db(), ctx.auditActor, { since, dryRun: opts.dryRun });
        if (result.withoutCoverage > 0) ctx.warn(`${result.withoutCoverage} unbilled charge(s) were left alone: the patient has no active coverage on the service date.`);
        const verb = opts.dryRun ? 'Would build' : 'Built';
        return {
          data: { ...result, dryRun: Boolean(opts.dryRun) },
          human:
            result.claims || result.secondaryClaims
              ? `${verb} ${result.claims} claim(s) with ${result.lines} line(s)${result.secondaryClaims ? ` and ${result.secondaryClaims} claim(s) to the next payer (secondary/tertiary)` : ''}. Next: "practice claims check".`
              : 'No unbilled charges with coverage to bill, and no adjudicated claim to pass on to a secondary payer.',
        };
      }),
    );

  claims
    .command('check')
    .description('run the pre-submission edits; failing claims are held out of batches, with every reason')
    .option('--claim <id...>', 'only these claim ids (default: every claim not yet sent)')
    .addHelpText('after', '\nExamples:\n  practice claims check\n  practice claims check --claim 17 18')
    .action(
      action(async (ctx, opts: { claim?: string[] }) => {
        const claimIds = opts.claim?.map((id) => positiveInt(id, 'A claim id'));
        const { checkClaims } = await import('../claims/edits.js');
        const result = await checkClaims(await ctx.db(), ctx.auditActor, { claimIds }, await today(ctx));
        if (claimIds && result.checked < claimIds.length) throw new NotFoundError(`${claimIds.length - result.checked} of the claim ids given`);
        const failing = new Set(result.failures.map((f) => f.claimId)).size;
        return {
          data: { checked: result.checked, passing: result.checked - failing, failing, failures: result.failures },
          human: failing
            ? `${failureTable(ctx, result.failures)}\n${failing} of ${result.checked} claim(s) are held until these are fixed.`
            : `All ${result.checked} claim(s) pass the edits.`,
          exitCode: failing ? ExitCode.partial : ExitCode.ok,
        };
      }),
    );

  claims
    .command('export')
    .description('write the ready claims to an X12 837P file for the clearinghouse (mode 0600)')
    .option('--payer <payer-id>', "only this payer's claims (the payer id on the clearinghouse list)")
    .option('--all', 'claims of every payer')
    .option('--out <dir>', 'folder to write the file in')
    .option('--clearinghouse <name>', 'which clearinghouse (default: the default one)')
    .option('--batch <id>', 'with --again: an earlier batch')
    .option('--again', 'write an earlier batch again, byte for byte')
    .option('--dry-run', 'check and count, write nothing')
    .addHelpText('after', '\nExamples:\n  practice claims export --all --out ./outbox\n  practice claims export --payer 60054 --out ./outbox --dry-run\n  practice claims export --again --batch 3 --out ./outbox')
    .action(
      action(async (ctx, opts: { payer?: string; all?: boolean; out?: string; clearinghouse?: string; batch?: string; again?: boolean; dryRun?: boolean }) => {
        if (!opts.out) throw new UsageError('Say where to write the file with --out <dir>.');
        const outDir = resolve(ctx.io.cwd, opts.out);
        const exporter = await import('../claims/export-837p.js');
        const db = await ctx.db();
        if (opts.again || opts.batch) {
          if (!opts.again || !opts.batch) throw new UsageError('Use --batch <id> together with --again to write an earlier batch again.');
          const again = await exporter.rewriteBatch(db, ctx.auditActor, positiveInt(opts.batch, 'The batch id'), outDir);
          return { data: again, human: `Wrote batch ${again.batchId} again to ${again.file} (unchanged, sha256 ${again.sha256.slice(0, 12)}...).` };
        }
        if (Boolean(opts.payer) === Boolean(opts.all)) throw new UsageError('Choose the claims: --payer <payer-id> or --all.');
        let payerId: number | undefined;
        if (opts.payer) {
          const { findPayer } = await import('../claims/settings.js');
          payerId = (await findPayer(db, opts.payer)).id;
        }
        const result = await exporter.exportClaims(db, ctx.auditActor, { outDir, payerId, clearinghouse: opts.clearinghouse, now: ctx.now, dryRun: opts.dryRun, signal: ctx.signal });
        for (const done of result.completed) {
          ctx.warn(`An earlier export was stopped before it finished: wrote its batch ${done.batchId} (interchange ${done.interchangeControlNumber}, ${done.claims} claim(s)) to ${done.file}.`);
        }
        const heldClaims = new Set(result.held.map((f) => f.claimId)).size;
        if (heldClaims) ctx.warn(`${heldClaims} claim(s) failed the edits and were held back; "practice claims check" lists why.`);
        const summary = opts.dryRun
          ? `${result.claims} claim(s) would be exported.`
          : result.file
            ? `Wrote ${result.claims} claim(s), ${formatMoney(result.totalCents)} in total, to ${result.file} (batch ${result.batchId}, interchange ${result.interchangeControlNumber}).`
            : 'No claims are ready to export.';
        return {
          data: { ...result, held: result.held, dryRun: Boolean(opts.dryRun) },
          human: heldClaims ? `${failureTable(ctx, result.held)}\n${summary}` : summary,
          exitCode: heldClaims ? ExitCode.partial : ExitCode.ok,
        };
      }),
    );

  claims
    .command('import-835')
    .alias('post')
    .description("post an 835 remittance (ERA): payments, adjustments, denials, reversals; a payment already posted (same payer and trace number, in any envelope) posts nothing")
    .argument('<file>', 'the 835 file')
    .addHelpText('after', '\nExample:\n  practice claims import-835 era-0205.835')
    .action(
      action(async (ctx, file: string) => {
        const text = await readText(ctx, file);
        const { postRemittance } = await import('../claims/post-835.js');
        const result = await postRemittance(await ctx.db(), ctx.auditActor, text, { fileName: basename(file), today: await today(ctx), signal: ctx.signal });
        const earlier = result.remittances.filter((r) => r.alreadyPosted);
        const already = earlier.map((r) => `The payment ${r.traceNumber}${r.payer ? ` from ${r.payer}` : ''} (${formatMoney(r.totalPaidCents)}) was already posted on ${r.postedOn} as remittance ${r.remittanceId}; nothing of it was posted again.`);
        if (result.alreadyPosted) return { data: result, human: already.join('\n') };
        for (const note of already) ctx.info(note);
        const unmatched = result.unmatched.length;
        if (unmatched) ctx.warn(`${unmatched} claim(s) of the remittance were not posted; "practice claims unmatched" lists them with the reason.`);
        const human = [
          renderFields([
            ['Payments (trace numbers)', result.remittances.map((r) => r.traceNumber).join(', ')],
            ['Paid', formatMoney(result.totalPaidCents)],
            ['Claims posted', result.claimsMatched],
            ['Lines posted', result.linesMatched],
            ['Reversals', result.reversals],
            ['Denials', result.denials],
            ['Provider adjustments', result.providerAdjustments],
          ]),
          unmatched ? unmatchedTable(ctx, result.unmatched) : '',
        ].filter(Boolean).join('\n\n');
        return { data: result, human, exitCode: unmatched ? ExitCode.partial : ExitCode.ok };
      }),
    );

  claims
    .command('unmatched')
    .description('remittance claims that were not posted (unknown claim, another payer, not sent, voided, a line that matches none or two), with the reason')
    .option('--remittance <id>', 'only this remittance')
    .addHelpText('after', '\nExamples:\n  practice claims unmatched\n  practice claims unmatched --remittance 4')
    .action(
      action(async (ctx, opts: { remittance?: string }) => {
        const { unmatchedRemittances } = await import('../claims/reports.js');
        const items = await unmatchedRemittances(await ctx.db(), { remittanceId: opts.remittance ? positiveInt(opts.remittance, 'The remittance id') : undefined });
        return { data: { items }, human: items.length ? unmatchedTable(ctx, items) : 'Every remittance claim was posted.' };
      }),
    );

  claims
    .command('write-off')
    .description("write off a claim's open balance (a denial not worth appealing, timely filing), or move it to the patient; audited")
    .argument('<claim-id>', 'the claim id')
    .requiredOption('--reason <text>', 'why (kept with the write-off)')
    .option('--amount <amount>', 'only part of the balance (e.g. 25.00)')
    .option('--to-patient', 'bill the balance to the patient instead of writing it off')
    .option('--dry-run', 'show the result without saving it')
    .addHelpText('after', '\nExamples:\n  practice claims write-off 17 --reason "timely filing limit passed"\n  practice claims write-off 17 --amount 25.00 --to-patient --reason "deductible" --dry-run')
    .action(
      action(async (ctx, id: string, opts: { reason: string; amount?: string; toPatient?: boolean; dryRun?: boolean }) => {
        let amountCents: number | undefined;
        if (opts.amount !== undefined) {
          amountCents = parseMoney(opts.amount);
          if (amountCents === undefined) throw mistake(badAmount('--amount'));
        }
        const { moveClaimBalance } = await import('../claims/write-off.js');
        const result = await moveClaimBalance(await ctx.db(), ctx.auditActor, positiveInt(id, 'The claim id'), {
          kind: opts.toPatient ? 'to-patient' : 'write-off', reason: opts.reason, amountCents, today: await today(ctx), dryRun: opts.dryRun,
        });
        const verb = opts.toPatient ? 'moved to the patient' : 'written off';
        return {
          data: result,
          human: `${opts.dryRun ? 'Would have ' : ''}${formatMoney(result.amountCents)} of claim ${result.patientControlNumber} ${opts.dryRun ? 'been ' : ''}${verb}; it is now ${result.claim.status} with a balance of ${formatMoney(result.claim.balanceCents)}.`,
        };
      }),
    );

  claims
    .command('show')
    .description('one claim: billed, paid, adjusted, patient responsibility, balance, its lines and every posting behind them')
    .argument('<claim>', 'the claim id or claim number')
    .addHelpText('after', '\nExamples:\n  practice claims show 17\n  practice claims show 17 --json')
    .action(
      action(async (ctx, claim: string) => {
        const { showClaim } = await import('../claims/reports.js');
        const db = await ctx.db();
        const detail = await showClaim(db, ctx.auditActor, claim);
        const { zone } = await practiceClock(db, ctx.now);
        const c = detail.claim;
        const human = [
          renderFields([
            ['Claim', `${c.id} (${c.patientControlNumber})`],
            ['Status', c.status],
            ['Payer', c.payer],
            ['Patient (MRN)', c.patientMrn],
            ['Service date', c.serviceDateFrom === c.serviceDateTo ? c.serviceDateFrom : `${c.serviceDateFrom}..${c.serviceDateTo}`],
            ['Billed', formatMoney(c.billedCents)],
            ['Stands billed for', formatMoney(c.totalCents)],
            ['Paid', formatMoney(c.paidCents)],
            ['Adjusted', `${formatMoney(c.adjustmentCents)}${c.writtenOffCents ? ` (written off ${formatMoney(c.writtenOffCents)})` : ''}`],
            ['Patient responsibility', formatMoney(c.patientResponsibilityCents)],
            ['Balance (owed by payers)', formatMoney(c.balanceCents)],
            ...(c.creditCents ? [['Credit (refund or takeback due)', formatMoney(c.creditCents)] as [string, string]] : []),
            ['Frequency', detail.frequencyCode],
            ['Batch', detail.batchId ?? ''],
            ['Diagnoses', detail.diagnoses.map((d) => `${d.position} ${d.code}`).join(', ')],
          ]),
          renderTable(detail.lines, [
            { header: 'Line', value: (l) => l.lineNumber, align: 'right' },
            { header: 'Code', value: (l) => [l.code, ...l.modifiers].join('-') },
            { header: 'Units', value: (l) => l.units, align: 'right' },
            { header: 'Date', value: (l) => l.serviceDate },
            { header: 'Pointers', value: (l) => l.diagnosisPointers.join(',') },
            { header: 'Charge', value: (l) => formatMoney(l.chargeCents), align: 'right' },
            { header: 'Paid', value: (l) => formatMoney(l.paidCents), align: 'right' },
            { header: 'Status', value: (l) => l.status },
          ], ctx.out),
          detail.adjustments.length || detail.payments.length
            ? renderTable([
                ...detail.payments.map((p) => ({ on: p.paidOn, remittance: p.remittanceId, line: p.lineNumber, what: 'payment', amount: p.amountCents })),
                ...detail.adjustments.map((a) => ({ on: a.adjustedOn, remittance: a.remittanceId, line: a.lineNumber, what: `${a.groupCode}-${a.reasonCode}${a.denial ? ' (denied, still open)' : ''}`, amount: a.amountCents })),
                ...detail.balanceMoves.map((m) => ({ on: m.effectiveOn, remittance: null, line: null, what: m.kind, amount: m.amountCents })),
              ], [
                { header: 'Date', value: (r) => r.on },
                { header: 'Remittance', value: (r) => r.remittance ?? '' },
                { header: 'Line', value: (r) => r.line ?? '' },
                { header: 'Posting', value: (r) => r.what },
                { header: 'Amount', value: (r) => formatMoney(r.amount), align: 'right' },
              ], ctx.out)
            : 'Nothing posted yet.',
          detail.rejections.length
            ? renderTable(detail.rejections, [
                { header: 'Rejected', value: (r) => `${r.source} ${practiceToday(r.receivedAt, zone)}` },
                { header: 'Codes', value: (r) => r.codes.join(' ') },
                { header: 'Why', value: (r) => r.message },
                { header: 'Settled', value: (r) => r.resolution ?? 'open: the claim is held' },
              ], ctx.out)
            : '',
        ].filter(Boolean).join('\n\n');
        return { data: detail, human };
      }),
    );

  claims
    .command('import-ack')
    .description('read a 999 or 277CA acknowledgement: accepted claims move on, rejected ones come back to fix')
    .argument('<file>', 'the 999 or 277CA file')
    .addHelpText('after', '\nExamples:\n  practice claims import-ack batch-3.999\n  practice claims import-ack claims-0212.277')
    .action(
      action(async (ctx, file: string) => {
        const text = await readText(ctx, file);
        const { importAcknowledgement } = await import('../claims/acks.js');
        const result = await importAcknowledgement(await ctx.db(), ctx.auditActor, text);
        if (result.unmatched.length) ctx.warn(`${result.unmatched.length} acknowledged item(s) match none of our batches or claims: ${result.unmatched.join(', ')}.`);
        if (result.rejected) ctx.warn(`${result.rejected} claim(s) were rejected and are held: correct them and run "practice claims check", or send one again as it is with "practice claims resubmit <id>".`);
        const summary = `${result.kind}: ${result.accepted} claim(s) accepted, ${result.rejected} rejected${result.batchId ? ` (batch ${result.batchId})` : ''}.`;
        return {
          data: result,
          human: result.rejections.length
            ? `${renderTable(result.rejections, [
                { header: 'Id', value: (r) => r.claimId, align: 'right' },
                { header: 'Claim number', value: (r) => r.patientControlNumber },
                { header: 'Codes', value: (r) => r.codes.join(' ') },
                { header: 'Why', value: (r) => r.message },
              ], ctx.out)}\n${summary}`
            : summary,
          exitCode: result.rejected || result.unmatched.length ? ExitCode.partial : ExitCode.ok,
        };
      }),
    );

  claims
    .command('validate')
    .description('check an 837P file: envelope counts and control numbers, structure, NPI, diagnoses, totals, pointers')
    .argument('<file>', 'the 837P file')
    .addHelpText('after', '\nExample:\n  practice claims validate outbox/claims-0001.837')
    .action(
      action(async (ctx, file: string) => {
        const text = await readText(ctx, file);
        const { parseX12 } = await import('../claims/x12/model.js');
        const { lint837p } = await import('../claims/x12/lint-837p.js');
        const issues = lint837p(parseX12(text));
        const human = issues.length
          ? renderTable(issues, [
              { header: 'Where', value: (i) => i.path ?? '' },
              { header: 'Rule', value: (i) => i.code },
              { header: 'Problem', value: (i) => i.message },
            ], ctx.out)
          : 'The file passes every check.';
        return { data: { file, valid: issues.length === 0, issues }, human, exitCode: issues.length ? ExitCode.partial : ExitCode.ok };
      }),
    );

  claims
    .command('list')
    .alias('status')
    .description('claims, where they stand (ready, held, exported, paid, partial, denied, ...) and what each balances to')
    .option('--status <status>', 'only claims in this status')
    .option('--limit <n>', 'at most this many claims (default 1000)')
    .addHelpText('after', '\nExamples:\n  practice claims list\n  practice claims list --status held --limit 50')
    .action(
      action(async (ctx, opts: { status?: string; limit?: string }) => {
        const { listClaims, CLAIM_STATUSES } = await import('../claims/reports.js');
        if (opts.status && !(CLAIM_STATUSES as readonly string[]).includes(opts.status)) {
          throw new UsageError(`--status must be one of ${CLAIM_STATUSES.join(', ')}.`);
        }
        const { claims: rows, counts } = await listClaims(await ctx.db(), { status: opts.status, limit: opts.limit ? positiveInt(opts.limit, '--limit') : undefined });
        const table = renderTable(rows, [
          { header: 'Id', value: (r) => r.id, align: 'right' },
          { header: 'Claim number', value: (r) => r.patientControlNumber },
          { header: 'Status', value: (r) => r.status },
          { header: 'Payer', value: (r) => r.payer },
          { header: 'Service date', value: (r) => (r.serviceDateFrom === r.serviceDateTo ? r.serviceDateFrom : `${r.serviceDateFrom}..${r.serviceDateTo}`) },
          { header: 'Billed', value: (r) => formatMoney(r.totalCents), align: 'right' },
          { header: 'Paid', value: (r) => formatMoney(r.paidCents), align: 'right' },
          { header: 'Adjusted', value: (r) => formatMoney(r.adjustmentCents), align: 'right' },
          { header: 'Patient', value: (r) => formatMoney(r.patientResponsibilityCents), align: 'right' },
          { header: 'Balance', value: (r) => formatMoney(r.balanceCents), align: 'right' },
          { header: 'Credit', value: (r) => (r.creditCents ? formatMoney(r.creditCents) : ''), align: 'right' },
          { header: 'Batch', value: (r) => r.batchId ?? '' },
          { header: 'Rejected', value: (r) => r.rejection?.codes.join(' ') ?? '' },
        ], ctx.out);
        const summary = counts.map((c) => `${c.status}: ${c.claims}`).join(', ');
        return { data: { claims: rows, counts }, human: rows.length ? `${table}\n${summary}` : 'No claims match.' };
      }),
    );

  claims
    .command('resubmit')
    .description('send a rejected claim again as it is (the rejection is settled); it goes out with the next export if it passes the edits')
    .argument('<claim-id>', 'the rejected claim id')
    .addHelpText('after', '\nExample:\n  practice claims resubmit 17')
    .action(
      action(async (ctx, id: string) => {
        const { resubmitClaim } = await import('../claims/acks.js');
        const result = await resubmitClaim(await ctx.db(), ctx.auditActor, positiveInt(id, 'The claim id'), await today(ctx));
        const human = result.failures.length
          ? `${failureTable(ctx, result.failures)}\nClaim ${result.claimId} (${result.patientControlNumber}) is no longer held for its rejection, but still fails these edits.`
          : `Claim ${result.claimId} (${result.patientControlNumber}) is ready: it goes out with the next "practice claims export".`;
        return { data: result, human, exitCode: result.failures.length ? ExitCode.partial : ExitCode.ok };
      }),
    );

  claims
    .command('ar')
    .description('accounts receivable: what each payer still owes on sent claims, in aging buckets')
    .option('--as-of <date>', 'as it stood at the end of this day (default today)')
    .addHelpText('after', '\nExamples:\n  practice claims ar\n  practice claims ar --as-of 2026-03-31 --json')
    .action(
      action(async (ctx, opts: { asOf?: string }) => {
        const { arAging } = await import('../claims/ar.js');
        const asOf = isoDate(opts.asOf, '--as-of') ?? (await today(ctx));
        const ar = await arAging(await ctx.db(), { asOf });
        const table = renderTable(ar.payers, [
          { header: 'Payer', value: (r) => r.payer },
          { header: 'Claims', value: (r) => r.claims, align: 'right' },
          { header: '0-30', value: (r) => formatMoney(r.days0to30), align: 'right' },
          { header: '31-60', value: (r) => formatMoney(r.days31to60), align: 'right' },
          { header: '61-90', value: (r) => formatMoney(r.days61to90), align: 'right' },
          { header: '91-120', value: (r) => formatMoney(r.days91to120), align: 'right' },
          { header: '120+', value: (r) => formatMoney(r.over120), align: 'right' },
          { header: 'Total', value: (r) => formatMoney(r.totalCents), align: 'right' },
        ], ctx.out);
        return { data: ar, human: ar.payers.length ? `${table}\nTotal owed by payers: ${formatMoney(ar.totalCents)} on ${ar.claims} claim(s).` : 'No open balances.' };
      }),
    );

  claims
    .command('denials')
    .description('denials counted by reason (CARC), payer and rendering provider; --suggest proposes claim edits from repeated denials')
    .option('--from <date>', 'denials on or after this date')
    .option('--to <date>', 'denials on or before this date')
    .option('--suggest', 'repeated denials (same payer, procedure and CARC) with the claim edit that would catch them')
    .option('--min <claims>', 'with --suggest or --accept: how many denied claims make a pattern (default 3)')
    .option('--accept <key>', 'accept a suggested edit (its key, e.g. 99999:99213:modifier): the next such claims are held')
    .addHelpText('after', '\nExamples:\n  practice claims denials --from 2026-01-01 --to 2026-03-31\n  practice claims denials --suggest --min 5\n  practice claims denials --accept 99999:99213:modifier')
    .action(
      action(async (ctx, opts: { from?: string; to?: string; suggest?: boolean; min?: string; accept?: string }) => {
        if (opts.suggest || opts.accept) {
          const rules = await import('../claims/denial-rules.js');
          const options = { minClaims: opts.min ? positiveInt(opts.min, '--min') : undefined, since: isoDate(opts.from, '--from') };
          if (opts.accept) {
            const accepted = await rules.acceptDenialEdit(await ctx.db(), ctx.auditActor, opts.accept, options);
            return { data: accepted, human: `Accepted: ${accepted.edit.rule}. "practice claims check" now holds claims that break it (edit DENIAL_RULE).` };
          }
          const suggestions = await rules.suggestDenialEdits(await ctx.db(), options);
          const human = suggestions.length
            ? renderTable(suggestions, [
                { header: 'Key', value: (s) => s.key },
                { header: 'Denied claims', value: (s) => s.deniedClaims, align: 'right' },
                { header: 'CARC/RARC', value: (s) => [s.carcCode, ...s.rarcCodes].join(' ') },
                { header: 'Proposed edit', value: (s) => s.edit.rule },
                { header: 'Accepted', value: (s) => (s.accepted ? 'yes' : '') },
              ], ctx.out)
            : 'No repeated denial pattern an edit could catch.';
          return { data: { suggestions }, human };
        }
        const { denialReport } = await import('../claims/reports.js');
        const report = await denialReport(await ctx.db(), { from: isoDate(opts.from, '--from'), to: isoDate(opts.to, '--to') });
        const section = (title: string, rows: typeof report.byReason) =>
          renderTable(rows, [
            { header: title, value: (r) => (r.key === r.label ? r.key : `${r.label} (${r.key})`) },
            { header: 'Denials', value: (r) => r.denials, align: 'right' },
            { header: 'Amount', value: (r) => formatMoney(r.amountCents), align: 'right' },
          ], ctx.out);
        const human = report.byReason.length
          ? [section('Reason (group-CARC)', report.byReason), section('Payer', report.byPayer), section('Rendering provider', report.byProvider)].join('\n\n')
          : 'No denials.';
        return { data: report, human };
      }),
    );

  claims
    .command('settings')
    .description('the pay-to address (where payers send the money) and per-payer claim rules; without options, shows them')
    .option('--pay-to-street <text>', 'pay-to street or PO box (with --pay-to-city, --pay-to-state, --pay-to-zip)')
    .option('--pay-to-street2 <text>', 'second address line')
    .option('--pay-to-city <text>', 'pay-to city')
    .option('--pay-to-state <code>', 'pay-to state (2 letters)')
    .option('--pay-to-zip <zip>', 'pay-to ZIP code (5 or 9 digits)')
    .option('--clear-pay-to', 'payments go to the billing address again')
    .option('--payer <payer-id>', "a payer's rules (the payer id on the clearinghouse list), with the options below")
    .option('--ndc-required <yes|no>', 'whether this payer wants the NDC on drug (J-code) lines')
    .option('--timely-filing-days <days>', 'days this payer allows from the date of service to file a claim')
    .option('--secondary-timely-filing-days <days|same>', "days it allows a secondary claim from the previous payer's adjudication (same: as --timely-filing-days)")
    .addHelpText('after', '\nExamples:\n  practice claims settings\n  practice claims settings --pay-to-street "PO Box 120" --pay-to-city Boston --pay-to-state MA --pay-to-zip 02134\n  practice claims settings --payer 60054 --ndc-required yes --timely-filing-days 90')
    .action(
      action(async (ctx, opts: { payToStreet?: string; payToStreet2?: string; payToCity?: string; payToState?: string; payToZip?: string; clearPayTo?: boolean; payer?: string; ndcRequired?: string; timelyFilingDays?: string; secondaryTimelyFilingDays?: string }) => {
        const settings = await import('../claims/settings.js');
        const db = await ctx.db();
        const payToGiven = [opts.payToStreet, opts.payToStreet2, opts.payToCity, opts.payToState, opts.payToZip].some((v) => v !== undefined);
        if (payToGiven && opts.clearPayTo) throw new UsageError('Give a pay-to address or --clear-pay-to, not both.');
        if (payToGiven) {
          if (!opts.payToStreet || !opts.payToCity || !opts.payToState || !opts.payToZip) {
            throw new UsageError('A pay-to address needs --pay-to-street, --pay-to-city, --pay-to-state and --pay-to-zip.');
          }
          await settings.setPayTo(db, ctx.auditActor, { address1: opts.payToStreet, address2: opts.payToStreet2, city: opts.payToCity, state: opts.payToState, zip: opts.payToZip });
        }
        if (opts.clearPayTo) await settings.setPayTo(db, ctx.auditActor, null);
        const ruleGiven = [opts.ndcRequired, opts.timelyFilingDays, opts.secondaryTimelyFilingDays].some((v) => v !== undefined);
        if (Boolean(opts.payer) !== ruleGiven) throw new UsageError('Use --payer <payer-id> together with --ndc-required, --timely-filing-days or --secondary-timely-filing-days.');
        if (opts.payer) {
          if (opts.ndcRequired !== undefined && !['yes', 'no'].includes(opts.ndcRequired)) throw new UsageError(`--ndc-required must be yes or no; "${opts.ndcRequired}" is neither.`);
          const secondary = opts.secondaryTimelyFilingDays;
          await settings.setPayerRules(db, ctx.auditActor, opts.payer, {
            ndcRequired: opts.ndcRequired === undefined ? undefined : opts.ndcRequired === 'yes',
            timelyFilingDays: opts.timelyFilingDays === undefined ? undefined : positiveInt(opts.timelyFilingDays, '--timely-filing-days'),
            secondaryTimelyFilingDays: secondary === undefined ? undefined : secondary === 'same' ? null : positiveInt(secondary, '--secondary-timely-filing-days'),
          });
        }
        const current = await settings.claimSettings(db);
        const payTo = current.payTo;
        const human = [
          renderFields([
            ['Pay-to address', payTo ? [payTo.address1, payTo.address2, payTo.city, `${payTo.state} ${payTo.zip}`].filter(Boolean).join(', ') : 'the billing address'],
          ]),
          current.payerRules.length
            ? renderTable(current.payerRules, [
                { header: 'Payer', value: (r) => `${r.payer} (${r.payerId})` },
                { header: 'NDC on J-code lines', value: (r) => (r.ndcRequired ? 'required' : 'not required') },
                { header: 'Timely filing', value: (r) => `${r.timelyFilingDays} days from the service` },
                { header: 'As secondary', value: (r) => `${r.secondaryTimelyFilingDays ?? r.timelyFilingDays} days from the previous payer's adjudication` },
              ], ctx.out)
            : 'No payer has claim rules of its own.',
        ].join('\n\n');
        return { data: current, human };
      }),
    );

  for (const kind of ['replace', 'void'] as const) {
    claims
      .command(kind)
      .description(kind === 'replace' ? 'queue a corrected claim (frequency 7) for a claim the payer has processed' : 'queue a void (frequency 8) of a claim the payer has processed')
      .argument('<claim-id>', 'the original claim id')
      .addHelpText('after', `\nExample:\n  practice claims ${kind} 17`)
      .action(
        action(async (ctx, id: string) => {
          const { reissueClaim } = await import('../claims/reissue.js');
          const result = await reissueClaim(await ctx.db(), ctx.auditActor, positiveInt(id, 'The claim id'), kind);
          return { data: result, human: `Claim ${result.claimId} (${result.patientControlNumber}, frequency ${result.frequencyCode}) is ready to export.` };
        }),
      );
  }
}
