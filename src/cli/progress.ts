// Progress on stderr, on a TTY only, never under --json or --quiet; a no-op elsewhere (cron, pipes).
import type { Writable } from 'node:stream';
import type { Progress } from '../progress.js';

export type { Progress };

const silent: Progress = { start() {}, update() {}, increment() {}, stop() {} };

export async function createProgress(enabled: boolean, stream: Writable): Promise<Progress> {
  if (!enabled) return silent;
  const { SingleBar, Presets } = (await import('cli-progress')).default;
  let bar: InstanceType<typeof SingleBar> | undefined;
  let value = 0;
  let startedAt = Date.now();
  const progress: Progress = {
    start(total, label) {
      startedAt = Date.now();
      value = 0;
      bar = new SingleBar(
        {
          stream: stream as NodeJS.WriteStream,
          format: total
            ? `${label} [{bar}] {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted}`
            : `${label} {value} | {rate}/s`,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
        },
        Presets.shades_classic,
      );
      bar.start(total ?? 0, 0, { rate: 0 });
    },
    update(done) {
      value = done;
      const seconds = Math.max(0.001, (Date.now() - startedAt) / 1000);
      bar?.update(done, { rate: Math.round(done / seconds) });
    },
    increment(by = 1) {
      progress.update(value + by);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
  return progress;
}
