// The architecture as a test: no import cycles in src/, and no arrow from domain code up to the CLI.
// Type-only imports count too: a cycle through a type still ties the modules' shapes together.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every relative import (static, re-export or dynamic) of every file, as resolved file paths. */
function importGraph(): Map<string, string[]> {
  const files = sourceFiles(src);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const deps = [...text.matchAll(/(?:^|\s)(?:import|export)\s[^;'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)]
      .map((m) => resolve(dirname(file), (m[1] ?? m[2])!.replace(/\.js$/, '.ts')))
      .filter((d) => known.has(d));
    graph.set(file, deps);
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(relative(src, w));
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('the dependency graph of src/', () => {
  const graph = importGraph();

  it('has no cycles', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('has no arrow from domain code up to the CLI or the commands', () => {
    const upward: string[] = [];
    for (const [file, deps] of graph) {
      const from = relative(src, file);
      if (from.startsWith('cli/') || from.startsWith('commands/')) continue;
      for (const dep of deps) {
        const to = relative(src, dep);
        if (to.startsWith('cli/') || to.startsWith('commands/')) upward.push(`${from} -> ${to}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('finds imports at all (the test would pass on an empty graph otherwise)', () => {
    expect([...graph.values()].flat().length).toBeGreaterThan(500);
  });
});
