// Rebuilds reference/ (the data the toolkit ships) from the vendored fixtures:
//   node scripts/build-reference.mjs
// Value sets: every ValueSet of fixtures/ecqm/valuesets and valuesets-supplement in one FHIR Bundle.
// RVUs and GPCIs: the CMS CY2025 office subset, as is. Each file gzip-compressed (level 9, no file
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
console.log(`reference/: ${entries.length} value sets, RVUs and GPCIs for 2025`);
