// practice payments add: a patient's payment (copay, statement payment) that reduces what they owe.
import type { Command } from 'commander';
import { requireDate } from '../chart/time.js';
import type { ActionFactory } from '../cli/context.js';
import { renderFields } from '../cli/output.js';
import { UsageError } from '../errors.js';
import { formatMoney } from '../money.js';
import { practiceClock } from '../practice/clock.js';


export function register(program: Command, action: ActionFactory): void {
  const payments = program.command('payments').description("patients' payments: copays at the desk, statement payments by check, card or phone");
  payments
    .command('add')
    .description('record a payment a patient made; it reduces what the patient owes')
    .argument('<mrn>', "the patient's MRN")
    .requiredOption('--amount <amount>', 'the amount paid (e.g. 25.00)')
    .requiredOption('--method <method>', 'cash, check, card, eft or other')
    .option('--date <date>', 'the day it was paid (YYYY-MM-DD, default today)')
    .option('--reference <text>', 'check number, card authorisation or receipt number')
    .option('--claim <id>', 'the visit claim it pays')
    .action(
      action(async (ctx, mrn: string, opts: { amount: string; method: string; date?: string; reference?: string; claim?: string }) => {
        const { parseMoneyField } = await import('../import/fields.js');
        const { addPatientPayment, PAYMENT_METHODS } = await import('../claims/patient-payments.js');
        const amount = parseMoneyField(opts.amount, '--amount');
        if ('problem' in amount) throw new UsageError(`${amount.problem}.`);
        if (!(PAYMENT_METHODS as readonly string[]).includes(opts.method)) throw new UsageError(`--method must be one of ${PAYMENT_METHODS.join(', ')}.`);
        const db = await ctx.db();
        const { today } = await practiceClock(db, ctx.now);
        const paidOn = opts.date === undefined ? today : requireDate('--date', opts.date, today);
        if (opts.claim !== undefined && !/^[0-9]+$/.test(opts.claim)) throw new UsageError(`--claim must be a claim id; "${opts.claim}" is not.`);
        const result = await addPatientPayment(db, ctx.auditActor, {
          mrn, amountCents: amount.value, method: opts.method as (typeof PAYMENT_METHODS)[number], paidOn, reference: opts.reference,
          claimId: opts.claim === undefined ? undefined : Number(opts.claim), today,
        });
        return {
          data: result,
          human: renderFields([
            ['Payment', `${formatMoney(result.amountCents)} on ${result.paidOn} (payment ${result.paymentId})`],
            ['Patient now owes', formatMoney(Math.max(result.balance.balanceCents, 0))],
            ...(result.balance.balanceCents < 0 ? [['Credit (refund due to the patient)', formatMoney(-result.balance.balanceCents)] as [string, string]] : []),
          ]),
        };
      }),
    );
}
