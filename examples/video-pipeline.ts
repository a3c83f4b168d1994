// The seed's video pipeline on Celery-style tasks, in virtual time: uploads enqueue process_video,
// a flaky encoder retried with backoff, a corrupt file that exhausts its retries into the DLQ, and
// a worker crash mid-encode with and without acksLate. The scenario lives in src/cli/demo-tasks.ts
// (what `npm start` shows); this script runs it on its own.
// Run with: npx tsx examples/video-pipeline.ts [seed]
import { runTasksDemo } from "brokerlab/demos";

/** Runs the video pipeline with `seed`, printing a Celery-style worker log in virtual time. */
export function videoPipeline(seed = 7, print: (line: string) => void = console.log) {
  return runTasksDemo(seed, print);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await videoPipeline(Number(process.argv[2] ?? 7));
}
