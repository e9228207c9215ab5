// What long-running domain work reports its progress to; the CLI draws it (src/cli/progress.ts).
export interface Progress {
  start(total: number | undefined, label: string): void;
  update(done: number): void;
  increment(by?: number): void;
  stop(): void;
}
