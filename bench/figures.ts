// A bench script's figures for bench/run.ts: one `BENCH_JSON {...}` line on stdout when BENCH_JSON=1,
// after the human-readable lines the script prints anyway.
export function reportFigures(bench: string, figures: Record<string, number | string | null>): void {
  if (process.env.BENCH_JSON === '1') console.log(`BENCH_JSON ${JSON.stringify({ bench, ...figures })}`);
}
