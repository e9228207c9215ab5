// practice demo: a fictional practice with patients and two years of care, to try every command on.
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { wholeNumber } from '../cli/options.js';
import { renderTable } from '../cli/output.js';
import type { DemoSummary } from '../demo/run.js';
import { numberFormats } from '../reports/format.js';

function officeLines(summary: DemoSummary, folder: string): string[] {
  const { billing, recall, mar } = summary;
  if (!billing || !recall || !mar) return [];
  const { money } = numberFormats('en-US');
  const ready = billing.readyToSend;
  const worked = billing.denialsWorked;
  return [
    `Billing: ${billing.claimsSent.toLocaleString('en-US')} claims sent in ${billing.claimFiles} files over ${billing.billingDays} billing days; ${billing.remittancesPosted.toLocaleString('en-US')} remittances posted (${money(billing.paidCents)} paid, ${billing.claimsDenied.toLocaleString('en-US')} claims denied); ${billing.rejectedByClearinghouse} rejected by the clearinghouse and sent again.`,
    `Denials worked: ${worked.corrected} corrected and sent again, ${worked.writtenOff} written off, ${worked.toPatient} billed to the patient.`,
    `This week's claims: ${ready.passing} of ${ready.checked} pass the checks${ready.held.length ? `; ${ready.checked - ready.passing} held (${ready.held.map((h) => `${h.code} ${h.claims}`).join(', ')}): "practice claims check" says why and what to do` : ''}.`,
    `Recall: ${recall.sent.toLocaleString('en-US')} reminders in ${recall.runs} runs (${Object.entries(recall.byChannel).filter(([, n]) => n > 0).map(([c, n]) => `${c} ${n.toLocaleString('en-US')}`).join(', ') || 'none due'}).`,
    `eMAR: ${mar.patients} patients, ${mar.administrations} doses recorded.`,
    `Files (claims, clearinghouse answers, recall outbox): ${folder}`,
  ];
}

export function register(program: Command, action: ActionFactory): void {
  program
    .command('demo')
    .description('create a fictional practice with patients and two years of care, to try things on')
    .option('--patients <n>', 'how many patients to create', '1500')
    .option('--seed <n>', 'the same seed on the same day gives the same practice', '1')
    .option('-y, --yes', 'add demo patients even when the database already has patients')
    .option('--out <dir>', "where the demo's files go: claim files, the clearinghouse's answers, the recall outbox, the monthly pack (default: demo/ in the data folder)")
    .option('--pack <file>', 'where to write the monthly report pack of the last full month (default: monthly-pack-YYYY-MM.pdf in the --out folder)')
    .option('--no-pack', 'do not write the monthly report pack')
    .option('--records-only', 'only the patients and their care: no billing, recall runs or eMAR (faster at large sizes)')
    .addHelpText(
      'after',
      `
Everything it creates is fictional and marked as test data: names, addresses, 555-01xx phone numbers,
example.com e-mail addresses, and NPIs that pass the check digit but belong to no one.

Then the practice works through the same steps as the commands: claims are built, checked and sent
every billing day as the visits happened, the clearinghouse and payers answer (999, 277CA, 835), the
recall job sends reminders (letters and call lists in the outbox folder, email and SMS too when
PRACTICE_SMTP_URL or PRACTICE_SMS_URL is set), and a few patients get their doses on the eMAR.

Examples:
  practice demo
  practice demo --patients 200 --seed 7 --json --out /tmp/demo-files
  practice --data-dir /tmp/demo-practice demo --patients 100000 --records-only`,
    )
    .action(
      action(async (ctx, options: { patients: string; seed: string; yes?: boolean; pack: string | boolean; out?: string; recordsOnly?: boolean }) => {
        const patients = wholeNumber(options.patients, 'patients', 1, 1_000_000);
        const seed = wholeNumber(options.seed, 'seed', 0, 2 ** 32 - 1);
        const handle = await ctx.database();
        const { countPatients, runDemo } = await import('../demo/run.js');
        const existing = await countPatients(handle.db);
        if (existing > 0 && !(await ctx.confirm(`The database already has ${existing.toLocaleString('en-US')} patients. Add ${patients.toLocaleString('en-US')} demo patients to them?`, options.yes))) {
          return { data: { created: false }, human: 'Nothing was created.' };
        }
        const folder = resolve(ctx.io.cwd, options.out ?? join(ctx.config.dataDir, 'demo'));
        const env = ctx.io.env;
        const offices = options.recordsOnly
          ? undefined
          : {
              folder,
              email: env.PRACTICE_SMTP_URL ? { url: env.PRACTICE_SMTP_URL, from: env.PRACTICE_SMTP_FROM ?? 'reminders@example.com' } : undefined,
              sms: env.PRACTICE_SMS_URL ? { url: env.PRACTICE_SMS_URL, from: env.PRACTICE_SMS_FROM ?? '', user: env.PRACTICE_SMS_USER, password: env.PRACTICE_SMS_PASSWORD } : undefined,
            };
        const progress = await ctx.progress();
        progress.start(patients, 'Creating demo patients');
        const started = Date.now();
        let stopped = false;
        const stop = () => {
          if (!stopped) progress.stop();
          stopped = true;
        };
        const summary = await runDemo(handle, ctx.auditActor, {
          patients,
          seed,
          now: ctx.now,
          offices,
          onProgress: (done) => progress.update(done),
          signal: ctx.signal,
          onStage: (stage) => {
            stop();
            ctx.info(`${stage}...`);
          },
        }).finally(stop);
        ctx.info(`Created a demo practice with ${patients.toLocaleString('en-US')} patients (seed ${seed}) in ${((Date.now() - started) / 1000).toFixed(1)} s.`);

        // The newcomer sees the toolkit's main job: last month's report pack on the new data.
        let monthlyPack: { file: string; month: string } | undefined;
        if (options.pack !== false) {
          const { writeMonthlyPack } = await import('../reports/monthly/render.js');
          const { lastFullMonth } = await import('../reports/periods.js');
          const { practiceClock } = await import('../practice/clock.js');
          const month = lastFullMonth((await practiceClock(handle.db, ctx.now)).today);
          const out = typeof options.pack === 'string' ? resolve(ctx.io.cwd, options.pack) : join(folder, `monthly-pack-${month}.pdf`);
          const { mkdir } = await import('node:fs/promises');
          await mkdir(dirname(out), { recursive: true, mode: 0o700 });
          const written = await writeMonthlyPack(handle.db, { month, out, now: ctx.now });
          monthlyPack = { file: written.file, month };
        }

        const created = Object.entries(summary.rows).filter(([, n]) => n > 0);
        return {
          data: { created: true, ...summary, folder: offices ? folder : null, monthlyPack },
          human: [
            `Demo practice created: two years of care up to ${summary.today}.`,
            renderTable(created, [
              { header: 'Table', value: ([name]) => name },
              { header: 'Rows created', value: ([, n]) => n.toLocaleString('en-US'), align: 'right' },
            ], ctx.out),
            ...officeLines(summary, folder),
            monthlyPack ? `Monthly report pack for ${monthlyPack.month}: ${monthlyPack.file}` : '',
            'Try "practice report monthly", "practice claims check", "practice claims ar", "practice patients find <name>" or "practice db status".',
          ].join('\n'),
        };
      }),
    );
}
