import { Presets, SingleBar } from "cli-progress";
import type { OutStream } from "./output.js";

/**
 * A progress bar with an ETA, on stderr, for work that runs longer than a second. It appears
 * only when stderr is a terminal (and `NO_COLOR`/piping do not matter to it: it never touches
 * stdout), and only once the work has run for {@link PROGRESS_DELAY_MS} — short commands never
 * flash a bar. cli-progress draws it; this wrapper decides whether and when.
 *
 * @example
 * ```ts
 * const progress = startProgress(process.stderr, "exploring", 200);
 * for (let i = 1; i <= 200; i++) progress.update(i);
 * progress.stop();
 * ```
 */

/** Wall time before a bar appears. */
export const PROGRESS_DELAY_MS = 1000;

/** A running progress bar (or a silent stand-in). */
export interface Progress {
  /** Sets how much is done; `total` grows the bar when more work turned up. */
  update(done: number, total?: number, label?: string): void;
  /** Removes the bar. */
  stop(): void;
}

/** A progress that never shows. */
export const NO_PROGRESS: Progress = { update() {}, stop() {} };

/**
 * Starts tracking `total` units of work labelled `label`.
 *
 * @example
 * ```ts
 * const p = startProgress(process.stderr, "M/M/1 seeds", 10); p.update(3); p.stop();
 * ```
 */
export function startProgress(stream: OutStream, label: string, total: number): Progress {
  if (stream.isTTY !== true) return NO_PROGRESS;
  const startedAt = performance.now();
  let bar: SingleBar | null = null;
  let currentTotal = total;
  let currentLabel = label;
  return {
    update(done, newTotal, newLabel) {
      if (newTotal !== undefined) currentTotal = Math.max(newTotal, done);
      if (newLabel !== undefined) currentLabel = newLabel;
      if (bar === null) {
        if (performance.now() - startedAt < PROGRESS_DELAY_MS) return;
        bar = new SingleBar(
          {
            stream: stream as NodeJS.WritableStream,
            format: " {bar} {percentage}% | {value}/{total} {label} | ETA {eta_formatted}",
            hideCursor: true,
            clearOnComplete: true,
            barsize: 30,
            etaBuffer: 20,
          },
          Presets.shades_classic,
        );
        bar.start(currentTotal, done, { label: currentLabel });
      }
      if (newTotal !== undefined) bar.setTotal(currentTotal);
      bar.update(done, { label: currentLabel });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
