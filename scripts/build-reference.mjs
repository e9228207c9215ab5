// Rebuilds reference/ (the data the toolkit ships) from the vendored fixtures:
//   node scripts/build-reference.mjs
// Value sets: every ValueSet of fixtures/ecqm/valuesets and valuesets-supplement in one FHIR Bundle.
// RVUs and GPCIs: the CMS CY2025 office subset, as is.
// ICD-10-CM: the codes of the value sets (all billable codes) and fixtures/codes/icd10cm-primary-care.tsv,
// with every category above them (E11, E11.6 above E11.65) marked as a header. CVX: fixtures/codes/cvx.tsv. Each file gzip-compressed (level 9, no file
// name or time in the header, so a rebuild of the same input gives the same bytes).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const gzip = (text) => {
  const out = gzipSync(Buffer.from(text, 'utf8'), { level: 9 });
  out.writeUInt32LE(0, 4); // MTIME: none
  return out;
};

const entries = [];
for (const dir of ['fixtures/ecqm/valuesets', 'fixtures/ecqm/valuesets-supplement']) {
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    entries.push({ resource: JSON.parse(readFileSync(join(dir, name), 'utf8')) });
  }
}
const bundle = { resourceType: 'Bundle', type: 'collection', entry: entries };
writeFileSync('reference/ecqm-2026-valuesets.json.gz', gzip(JSON.stringify(bundle)));
writeFileSync('reference/pprrvu-2025d-office-subset.csv.gz', gzip(readFileSync('fixtures/rvu-2025/pprrvu-2025d-office-subset.csv', 'utf8')));
writeFileSync('reference/gpci-2025.csv.gz', gzip(readFileSync('fixtures/rvu-2025/gpci-2025.csv', 'utf8')));

const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const billable = new Set();
for (const { resource } of entries) for (const c of resource.expansion?.contains ?? []) if (c.system === ICD10CM) billable.add(c.code);
for (const line of readFileSync('fixtures/codes/icd10cm-primary-care.tsv', 'utf8').trim().split('\n').slice(1)) billable.add(line.split('\t')[0]);
// Every shorter form of a billable code is a category in the tabular list, except the placeholder
// forms ending in X (T36.0X of T36.0X1A), which are not codes at all.
const headers = new Set();
for (const code of billable) {
  const bare = code.replace('.', '');
  for (let n = 3; n < bare.length; n++) {
    const stem = bare.slice(0, n);
    if (!stem.endsWith('X')) headers.add(n > 3 ? `${stem.slice(0, 3)}.${stem.slice(3)}` : stem);
  }
}
const clash = [...headers].filter((h) => billable.has(h));
if (clash.length) throw new Error(`codes both billable and a category: ${clash.join(', ')}`);
const icdRows = [...[...billable].map((c) => `${c}\t1`), ...[...headers].map((c) => `${c}\t0`)].sort();
writeFileSync('reference/icd10cm-2026-partial.tsv.gz', gzip(`code\tbillable\n${icdRows.join('\n')}\n`));
writeFileSync('reference/cvx.tsv.gz', gzip(readFileSync('fixtures/codes/cvx.tsv', 'utf8')));
console.log(`reference/: ${entries.length} value sets, RVUs and GPCIs for 2025, ${billable.size} billable ICD-10-CM codes and ${headers.size} categories, CVX`);
