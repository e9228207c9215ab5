// The FHIR export of a practice as files, to compare two versions of the export code resource for resource:
//   npx tsx bench/fhir-snapshot.ts <data-dir> <out-dir>        an embedded practice folder (e.g. made by `practice demo`)
//   DATABASE_URL=postgres://... npx tsx bench/fhir-snapshot.ts - <out-dir>
// Writes <out-dir>/bulk/*.ndjson (`fhir export --all`) and <out-dir>/bundles.ndjson (every patient's bundle,
// one a line, with a fixed timestamp). Run it on both versions, then: diff -r old/ new/ (byte for byte), or
// `npx tsx bench/fhir-snapshot.ts --compare old/ new/` (each resource as parsed JSON: same keys and values).
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { asc } from 'drizzle-orm';
import { openPracticeDatabase } from '../src/db/client.js';
import { patients } from '../src/db/schema/index.js';
import { bulkExport, patientBundle } from '../src/fhir/export.js';

const STAMP = new Date('2026-11-10T16:00:00Z');

async function snapshot(dataDir: string, outDir: string): Promise<void> {
  const handle = await openPracticeDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir, waitSeconds: 5, owner: { pid: process.pid, user: 'bench', command: 'fhir-snapshot', since: new Date().toISOString() } });
  try {
    const result = await bulkExport(handle.db, { outDir: join(outDir, 'bulk'), replace: true }, STAMP);
    const lines: string[] = [];
    for (const { id } of await handle.db.select({ id: patients.id }).from(patients).orderBy(asc(patients.id))) {
      lines.push(JSON.stringify(await patientBundle(handle.db, id, STAMP)));
    }
    await writeFile(join(outDir, 'bundles.ndjson'), `${lines.join('\n')}\n`, { mode: 0o600 });
    console.error(`${result.total} resources in ${result.output.length} files, ${lines.length} bundles`);
  } finally {
    await handle.close();
  }
}

/** Each file's lines as JSON, side by side: reports every resource that differs (or is missing). */
async function compare(a: string, b: string): Promise<number> {
  const files = async (dir: string) => [...(await readdir(join(dir, 'bulk'))).map((f) => join('bulk', f)), 'bundles.ndjson'].sort();
  const [left, right] = [await files(a), await files(b)];
  let differences = 0;
  if (!isDeepStrictEqual(left, right)) {
    console.log(`files differ: ${left.join(' ')} / ${right.join(' ')}`);
    differences++;
  }
  for (const file of left.filter((f) => right.includes(f))) {
    const [x, y] = [(await readFile(join(a, file), 'utf8')).split('\n'), (await readFile(join(b, file), 'utf8')).split('\n')];
    let same = 0;
    let bytes = 0;
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      if (x[i] === y[i]) {
        bytes++;
        same++;
      } else if (x[i] !== undefined && y[i] !== undefined && isDeepStrictEqual(JSON.parse(x[i]!), JSON.parse(y[i]!))) same++;
      else if (differences++ < 20) console.log(`${file} line ${i + 1} differs:\n  ${x[i]?.slice(0, 2000)}\n  ${y[i]?.slice(0, 2000)}`);
    }
    console.log(`${file}: ${x.length - 1} lines, ${bytes - 1} byte for byte equal, ${same - 1} equal as JSON`);
  }
  return differences;
}

const [first, second, third] = process.argv.slice(2);
if (first === '--compare') {
  const differences = await compare(second!, third!);
  console.log(differences ? `${differences} difference(s)` : 'no differences');
  process.exitCode = differences ? 1 : 0;
} else {
  await mkdir(second!, { recursive: true });
  await snapshot(first!, second!);
}
