// practice report <subcommand>: each report lives in its own module under ./report/; this file only wires them.
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { registerCareGaps } from './report/care-gaps.js';
import { registerMips } from './report/mips.js';
import { registerMonthly } from './report/monthly.js';
import { registerProductivity } from './report/productivity.js';
import { registerQuality } from './report/quality.js';

export function register(program: Command, action: ActionFactory): void {
  const report = program.command('report').description('quality measures, care gaps, the MIPS quality estimate, productivity and the monthly report pack');
  registerQuality(report, action);
  registerCareGaps(report, action);
  registerMips(report, action);
  registerProductivity(report, action);
  registerMonthly(report, action);
}
