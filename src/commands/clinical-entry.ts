// The one command shape every clinical entry shares: `practice <kind> add <mrn> ...` and `list <mrn>`.
// Each kind's options, checks and columns come from ENTRY_KINDS in src/chart/entries.ts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { CommandContext } from '../cli/context.js';
import type { ActionFactory } from '../cli/context.js';
import { renderTable } from '../cli/output.js';
import { addEntry, ENTRY_KINDS, listEntries, type EntryKind, type EntryKindName, type EntryOptions } from '../chart/entries.js';
import { changeEntryStatus, REPLACEABLE, statusChanges, type LifecycleKind } from '../chart/lifecycle.js';
import { SOAP_TEMPLATE } from '../chart/soap.js';
import { patientByMrn } from '../chart/lookup.js';
import { formatLocal, withLocalTimes } from '../chart/time.js';
import { practiceClock } from '../practice/clock.js';
import { recordChartRead } from '../db/audit.js';
import { PracticeError, UsageError } from '../errors.js';

/**
 * The SOAP text of a note: from --file, or typed in $EDITOR on a terminal (undefined when left
 * empty). The editor's file is private to the user and removed afterwards.
 */
export function readNoteText(ctx: CommandContext, file: string | undefined): string | undefined {
  if (file) {
    try {
      return readFileSync(resolve(ctx.io.cwd, file), 'utf8');
    } catch {
      throw new UsageError(`Cannot read the note file "${file}".`, 'Check the path and that you may read it.');
    }
  }
  if (!ctx.io.stdinIsTTY) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'practice-note-'));
  const path = join(dir, 'note.txt');
  try {
    writeFileSync(path, SOAP_TEMPLATE, { mode: 0o600 });
    const editor = ctx.io.env.VISUAL ?? ctx.io.env.EDITOR ?? 'vi';
    const run = spawnSync(editor, [path], { stdio: 'inherit', shell: true });
    if (run.status !== 0) throw new PracticeError('EDITOR_FAILED', `The editor (${editor}) did not finish normally; nothing was saved.`, { hint: 'Set EDITOR to the editor you use, or give --file.' });
    const text = readFileSync(path, 'utf8');
    // Closing the editor without writing anything means "no note".
    return text.trim() === '' || text.trim() === SOAP_TEMPLATE.trim() ? undefined : text;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PREPARE: Partial<Record<LifecycleKind, (ctx: CommandContext, options: EntryOptions) => void>> = {
  notes: (ctx, options) => {
    options.noteText = readNoteText(ctx, options.file as string | undefined);
    if (options.noteText === undefined && ctx.io.stdinIsTTY) throw new UsageError('The note was left empty; nothing was saved.');
  },
};

function display(value: unknown, zone: string): unknown {
  return value instanceof Date ? formatLocal(value, zone) : value;
}

/** register() for one kind: the per-kind modules are one line each. */
export function entryCommand(name: EntryKindName): (program: Command, action: ActionFactory) => void {
  return (program, action) => void registerEntryKind(program, action, ENTRY_KINDS[name], ENTRY_KINDS[name].command);
}

/**
 * The add, list and status-change subcommands of one kind of entry, under `parent`; `path` is how the
 * command is typed after "practice" ("labs", "history family"), for the examples and hints.
 */
export function registerEntryKind(parent: Command, action: ActionFactory, kind: EntryKind, path: string): Command {
  const name: LifecycleKind = kind.lifecycle ?? (kind.command as EntryKindName);
  const command = parent.command(kind.command).description(kind.summary);

  const add = command.command('add').description(`record a ${kind.noun}`).argument('<mrn>', 'chart number');
  for (const option of kind.options) add.option(option.flags, option.description);
  if (REPLACEABLE.includes(name)) add.option('--replaces <id>', `the id of the ${kind.noun} this one corrects (it is marked entered in error and kept)`);
  add.addHelpText('after', `\nExample:\n  ${kind.example}`).action(
    action(async (ctx, mrn: string, options: EntryOptions) => {
      const db = await ctx.db();
      const clock = await practiceClock(db, ctx.now);
      PREPARE[name]?.(ctx, options);
      const written = await addEntry(db, ctx.auditActor, kind, mrn, options, clock);
      for (const warning of written.warnings) ctx.warn(warning);
      return { data: { recorded: kind.command, ids: written.ids, warnings: written.warnings }, human: `Recorded the ${kind.noun}.` };
    }),
  );

  for (const change of statusChanges(name, path)) {
    const sub = command.command(change.name).description(change.description).argument('<mrn>', 'chart number').argument('<id>', `the ${kind.noun}'s id (from "list --json")`);
    sub.option('--reason <text>', change.reasonRequired ? 'why (required)' : 'why');
    if (change.dated) sub.option('--date <date>', 'when (default today)');
    sub.addHelpText('after', `\nExample:\n  ${change.example}`).action(
      action(async (ctx, mrn: string, id: string, options: { reason?: string; date?: string }) => {
        const entryId = Number(id);
        if (!Number.isInteger(entryId) || entryId < 1) throw new UsageError(`The ${kind.noun} id is a whole number (from "practice ${path} list <chart number> --all --json"), not "${id}".`);
        const db = await ctx.db();
        const { today } = await practiceClock(db, ctx.now);
        const result = await changeEntryStatus(db, ctx.auditActor, name, change.name, mrn, { id: entryId, reason: options.reason, date: options.date }, today);
        return { data: result, human: `${kind.noun[0]!.toUpperCase()}${kind.noun.slice(1)} ${entryId}: ${change.name === 'entered-in-error' ? 'marked entered in error (kept, hidden from the chart)' : `${change.name} recorded`}.` };
      }),
    );
  }

  command
    .command('list')
    .description(`list a patient's ${kind.listNoun ?? kind.command}`)
    .argument('<mrn>', 'chart number')
    .option('--all', 'include inactive, resolved and entered-in-error entries')
    .addHelpText('after', `\nExample:\n  practice ${path} list C100 --all --json`)
    .action(
      action(async (ctx, mrn: string, options: { all?: boolean }) => {
        const db = await ctx.db();
        const { zone } = await practiceClock(db, ctx.now);
        const rows = await listEntries(db, kind, mrn, Boolean(options.all));
        await recordChartRead(db, ctx.auditActor, (await patientByMrn(db, mrn)).id, path.replace(' ', '-'), { entries: rows.length });
        const human = rows.length
          ? renderTable(kind.tableRows ? kind.tableRows(rows) : rows, kind.columns.map((col) => ({ header: col.header, value: (row: Record<string, unknown>) => display(row[col.key], zone) })), ctx.out)
          : `No ${kind.listNoun ?? kind.command} recorded.`;
        // Times in --json in the practice's zone with its offset, as the table shows them.
        return { data: { count: rows.length, [kind.command]: rows.map((row) => withLocalTimes(row as Record<string, unknown>, zone)) }, human };
      }),
    );
  return command;
}
