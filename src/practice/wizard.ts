// The set-up wizard: asks for each field on a terminal, checking answers as they are typed, and returns
// the same set-up document practice.json holds, so both paths write through runSetup.
import type { Prompter } from '../prompter.js';
import type { Row } from './directory.js';
import { clearinghouseKind, locationKind, payerKind, practiceKind, providerKind, type EntityKind } from './entities.js';
import type { SetupDocument } from './setup.js';

async function askEntry(prompter: Prompter, kind: EntityKind, existing?: Row): Promise<Record<string, unknown>> {
  const answers: Record<string, unknown> = {};
  for (const spec of kind.fields) {
    // A provider's default location is recorded as an id; the wizard leaves it to `providers edit`.
    if (spec.key === 'defaultLocation') continue;
    const current = existing?.[spec.key];
    const answer = await prompter.input(`${spec.label}${spec.required ? '' : ' (optional)'}:`, {
      default: current === null || current === undefined ? undefined : String(current),
      validate: (value) => {
        if (value.trim() === '') return spec.required ? `${spec.label} is needed.` : true;
        const result = spec.check(value, spec.label);
        return 'problem' in result ? result.problem : true;
      },
    });
    if (answer.trim() !== '') answers[spec.key] = answer;
  }
  return answers;
}

async function askList(prompter: Prompter, kind: EntityKind, recorded: Row[]): Promise<Record<string, unknown>[]> {
  const entries: Record<string, unknown>[] = [];
  const count = () => recorded.length + entries.length;
  while (await prompter.confirm(count() === 0 ? `Add a ${kind.name}?` : `Add another ${kind.name}? (${count()} recorded)`, { default: count() === 0 })) {
    entries.push(await askEntry(prompter, kind));
  }
  return entries;
}

export async function askSetup(
  prompter: Prompter,
  recorded: { practice?: Row; locations: Row[]; providers: Row[]; payers: Row[]; clearinghouses: Row[] },
): Promise<SetupDocument> {
  const doc: SetupDocument = { practice: await askEntry(prompter, practiceKind, recorded.practice) };
  doc.locations = await askList(prompter, locationKind, recorded.locations);
  doc.providers = await askList(prompter, providerKind, recorded.providers);
  doc.payers = await askList(prompter, payerKind, recorded.payers);
  doc.clearinghouses = await askList(prompter, clearinghouseKind, recorded.clearinghouses);
  return doc;
}
