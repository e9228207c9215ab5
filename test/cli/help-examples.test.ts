// Every leaf command's --help shows at least one example: the tree is built from every entry in the
// registry, each module loaded and registered the way main() does, and each leaf's full help (with the
// text added after it) is read as a user would see it.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/main.js';
import { commandEntries } from '../../src/cli/registry.js';

function leaves(command: Command, path: string[] = []): { path: string; command: Command }[] {
  const here = [...path, command.name()];
  if (command.commands.length === 0) return [{ path: here.join(' '), command }];
  return command.commands.flatMap((c) => leaves(c, here));
}

function helpText(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  command.outputHelp();
  return text;
}

describe('help examples', () => {
  it('every leaf command in the registry has an example in its --help', async () => {
    const program = createProgram();
    for (const entry of commandEntries) (await entry.load()).register(program, () => async () => undefined);
    const all = program.commands.flatMap((c) => leaves(c, ['practice']));
    expect(all.length).toBeGreaterThan(commandEntries.length);
    const missing = all.filter((leaf) => !/\nExamples?\b[^\n]*:\n\s+practice\s/.test(helpText(leaf.command))).map((leaf) => leaf.path);
    expect(missing).toEqual([]);
  });
});
