// practice demo: a fictional practice with patients and two years of care, to try every command on.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/main.js';
import { renderTable } from '../cli/output.js';
import { UsageError } from '../errors.js';

function wholeNumber(text: string, name: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^[0-9]+$/.test(text.trim()) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}, not "${text}".`);
  }
  return value;
}

export function register(program: Command, action: ActionFactory): void {
  program
    .command('demo')
    .description('create a fictional practice with patients and two years of care, to try things on')
    .option('--patients <n>', 'how many patients to create', '2000')
    .option('--seed <n>', 'the same seed on the same day gives the same practice', '1')
    .option('-y, --yes', 'add demo patients even when the database already has patients')
    .option('--pack <file>', 'where to write the monthly report pack of the last full month (default: monthly-pack-YYYY-MM.pdf here)')
    .option('--no-pack', 'do not write the monthly report pack')
    .addHelpText(
      'after',
      `
Everything it creates is fictional and marked as test data: names, addresses, 555-01xx phone numbers,
example.com e-mail addresses, and NPIs that pass the check digit but belong to no one.

Examples:
  practice demo
  practice demo --patients 200 --seed 7 --json
  practice --data-dir /tmp/demo-practice demo --patients 100000`,
    )
    .action(
      action(async (ctx, options: { patients: string; seed: string; yes?: boolean; pack: string | boolean }) => {
        const patients = wholeNumber(options.patients, 'patients', 1, 1_000_000);
        const seed = wholeNumber(options.seed, 'seed', 0, 2 ** 32 - 1);
        const handle = await ctx.database();
        const { countPatients, runDemo } = await import('../demo/run.js');
        const existing = await countPatients(handle.db);
        if (existing > 0 && !(await ctx.confirm(`The database already has ${existing.toLocaleString('en-US')} patients. Add ${patients.toLocaleString('en-US')} demo patients to them?`, options.yes))) {
          return { data: { created: false }, human: 'Nothing was created.' };
        }
        const progress = await ctx.progress();
        progress.start(patients, 'Creating demo patients');
        const started = Date.now();
        const summary = await runDemo(handle, ctx.auditActor, { patients, seed, now: ctx.now, onProgress: (done) => progress.update(done) }).finally(() => progress.stop());
        ctx.info(`Created a demo practice with ${patients.toLocaleString('en-US')} patients (seed ${seed}) in ${((Date.now() - started) / 1000).toFixed(1)} s.`);

        // The newcomer sees the toolkit's main job: last month's report pack on the new data.
        let monthlyPack: { file: string; month: string } | undefined;
        if (options.pack !== false) {
          const { writeMonthlyPack } = await import('../reports/monthly.js');
          const { lastFullMonth } = await import('../reports/periods.js');
          const month = lastFullMonth(ctx.now);
          const out = resolve(ctx.io.cwd, typeof options.pack === 'string' ? options.pack : `monthly-pack-${month}.pdf`);
          const written = await writeMonthlyPack(handle.db, { month, out, now: ctx.now });
          monthlyPack = { file: written.file, month };
        }

        const created = Object.entries(summary.rows).filter(([, n]) => n > 0);
        return {
          data: { created: true, ...summary, monthlyPack },
          human: [
            `Demo practice created: two years of care up to ${summary.today}.`,
            renderTable(created, [
              { header: 'Table', value: ([name]) => name },
              { header: 'Rows created', value: ([, n]) => n.toLocaleString('en-US'), align: 'right' },
            ], ctx.out),
            monthlyPack ? `Monthly report pack for ${monthlyPack.month}: ${monthlyPack.file}` : '',
            'Try "practice report productivity", "practice patients find <name>" or "practice db status".',
          ].join('\n'),
        };
      }),
    );
}
