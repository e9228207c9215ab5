// Every message that suggests a command names one that exists: each "practice ..." string in src/
// (quoted in a message, or an example line in help text) is resolved against the real command tree,
// built by registering every command module the way main() does: subcommands, their arguments and
// options (the command's own and the global ones).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Command, type Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/main.js';
import { commandEntries } from '../../src/cli/registry.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';

const SRC = join(import.meta.dirname, '../../src');

/** Phrases that start with "practice" but are not commands. */
const NOT_COMMANDS = new Set(['practice total']);

async function commandTree(): Promise<Command> {
  const program = createProgram();
  for (const entry of commandEntries) (await entry.load()).register(program, () => async () => undefined);
  return program;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

export interface Hint {
  file: string;
  line: number;
  text: string;
}

/** "practice ..." between a pair of the same quote, and help example lines that start with it. */
export function hintsIn(file: string, source: string): Hint[] {
  const hints: Hint[] = [];
  const lineOf = (index: number) => source.slice(0, index).split('\n').length;
  for (const m of source.matchAll(/(["'`])(practice\s[^"'`\n]*?)\1/g)) hints.push({ file, line: lineOf(m.index!), text: m[2]! });
  for (const m of source.matchAll(/^[ \t]+(practice\s[^\n`]*?)\s*$/gm)) {
    const before = source.slice(source.lastIndexOf('\n', m.index!) + 1, m.index! + m[0].indexOf('practice'));
    if (!/^\s*$/.test(before)) continue;
    // Help examples carry a description after two or more spaces.
    hints.push({ file, line: lineOf(m.index!), text: m[1]!.split(/\s{2,}/)[0]! });
  }
  return hints.filter((h) => !NOT_COMMANDS.has(h.text.trim()));
}

/** Words of a command line up to any shell redirection or continuation: quoted phrases, <placeholders> and ${expressions} stay one word. */
function words(text: string): string[] {
  const all = [...text.matchAll(/"[^"]*"|'[^']*'|<[^>\s][^>]*>|\$\{[^}]*\}|\S+/g)].map((m) => m[0]).filter((w) => w !== '...');
  const end = all.findIndex((w) => /^(>>?|<|\||&&|;|\\+)$/.test(w));
  return end === -1 ? all : all.slice(0, end);
}

const isPlaceholder = (word: string) => /^(<.*>|\$\{.*\}|\.\.\.)$/.test(word) || word.includes('${') || word.includes('<');

function findOption(command: Command, flag: string): Option | undefined {
  for (let c: Command | null = command; c; c = c.parent) {
    const found = c.options.find((o) => o.long === flag || o.short === flag || (o.negate && o.long === flag));
    if (found) return found;
  }
  return undefined;
}

/** The subcommand names at the start of resolved words: what `practice <path> --help` shows. */
function commandPath(program: Command, list: string[]): string[] {
  const path: string[] = [];
  let node = program;
  for (const word of list) {
    const child = node.commands.find((c) => c.name() === word);
    if (!child) break;
    path.push(word);
    node = child;
  }
  return path;
}

/** Null when the words resolve, else what does not exist. */
export function resolve(program: Command, list: string[], at: Command = program): string | null {
  let node = at;
  let positional = 0;
  for (let i = 0; i < list.length; i++) {
    const word = list[i]!.replace(/[.,;:)]+$/, '');
    if (word.startsWith('-')) {
      const flag = word.split('=')[0]!;
      if (flag === '--help' || flag === '-h') continue;
      const option = findOption(node, flag);
      if (!option) return `"${node.name()}" has no option ${flag}`;
      if ((option.required || option.optional) && !word.includes('=') && i + 1 < list.length && !list[i + 1]!.startsWith('-')) i++;
      continue;
    }
    const alternatives = word.includes('|') && !word.startsWith('<') ? word.split('|') : [word];
    const children = node.commands;
    if (positional === 0 && children.length > 0) {
      const matches = alternatives.map((w) => children.find((c) => c.name() === w || c.aliases().includes(w)));
      if (matches.every(Boolean)) {
        const rest = list.slice(i + 1);
        const problems = matches.map((child) => resolve(program, rest, child!)).filter((p): p is string => p !== null);
        return problems[0] ?? null;
      }
      if (isPlaceholder(word)) {
        // A subcommand written as an expression: one of them must take the rest.
        const rest = list.slice(i + 1);
        return children.some((child) => resolve(program, rest, child) === null) ? null : `no command of "${node.name()}" takes ${rest.join(' ')}`;
      }
      if (node.registeredArguments.length === 0) return `"${node.name()}" has no command "${word}"`;
    }
    if (node.registeredArguments.length === 0) return `"${node.name()}" takes no argument "${word}"`;
    const variadic = node.registeredArguments.at(-1)!.variadic;
    if (positional >= node.registeredArguments.length && !variadic) return `"${node.name()}" takes ${node.registeredArguments.length} argument(s), not "${word}" too`;
    positional++;
  }
  return null;
}

describe('command hints', () => {
  it('finds the hints in source text, quoted and in help examples', () => {
    const source = [
      `const a = 'Load them with "practice valueset import <files>".';`,
      'const help = `',
      'Examples:',
      '  practice demo --patients 200     a small practice',
      '`;',
      '// practice demo is not a hint in a comment',
    ].join('\n');
    expect(hintsIn('x.ts', source).map((h) => h.text)).toEqual(['practice valueset import <files>', 'practice demo --patients 200']);
  });

  it('refuses commands, subcommands and options that do not exist', async () => {
    const program = await commandTree();
    const check = (text: string) => resolve(program, words(text).slice(1));
    expect(check('practice valueset load')).toMatch(/no command "load"/);
    expect(check('practice valueset import <files> --year 2026')).toBeNull();
    expect(check('practice claims check --claim 12')).toBeNull();
    expect(check('practice claims check --everything')).toMatch(/no option --everything/);
    expect(check('practice reports monthly')).toMatch(/no command "reports"/);
    expect(check('practice --data-dir /tmp/x demo --patients 100')).toBeNull();
    expect(check('practice providers|locations|payers list')).toBeNull();
    expect(check('practice providers|nothing list')).not.toBeNull();
  });

  it('every "practice ..." string in src/ names a command that exists', async () => {
    const program = await commandTree();
    const hints = sourceFiles(SRC).flatMap((file) => hintsIn(relative(SRC, file), readFileSync(file, 'utf8')));
    expect(hints.length).toBeGreaterThan(50);
    const broken = hints
      .map((h) => ({ ...h, problem: resolve(program, words(h.text).slice(1)) }))
      .filter((h) => h.problem !== null)
      .map((h) => `${h.file}:${h.line} "${h.text}": ${h.problem}`);
    expect(broken).toEqual([]);
  });
});

describeEachBackend('command hints through the command line', (t) => {
  it('opens the help of every command a hint names, and refuses a command that does not exist', async () => {
    const program = await commandTree();
    const paths = new Set(
      sourceFiles(SRC)
        .flatMap((file) => hintsIn(file, readFileSync(file, 'utf8')))
        .map((h) => commandPath(program, words(h.text).slice(1)).join(' '))
        .filter(Boolean),
    );
    expect(paths.size).toBeGreaterThan(30);
    for (const path of paths) {
      const run = await runCli([...path.split(' '), '--help'], { database: t.handle });
      expect(run.code, path).toBe(0);
      expect(run.stdout, path).toContain(`Usage: practice ${path}`);
    }
    const wrong = await runCli(['valueset', 'load', 'x.json'], { database: t.handle });
    expect(wrong.code).toBe(2);
  });
});
