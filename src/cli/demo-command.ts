import { formatExactlyOnceReport, runExactlyOncePipelineReport } from "./demo-exactly-once.js";
import { formatKernelDemo, runKernelStudy } from "./demo-kernel.js";
import { formatPaymentDemo, runPaymentDemo } from "./demo-payment.js";
import { runTasksDemo } from "./demo-tasks.js";
import { type Format, fitText, type OutStream, WIDTH, type Writer } from "./output.js";
import { startProgress } from "./progress.js";

/**
 * `brokerlab demo`: the seed's use cases one after the other — the M/M/1 queue on the kernel,
 * Kafka transactions crashed at every step, the payment consumer explored under crashes, the
 * Celery-style video pipeline. Exit 0 when every part behaved as it should.
 *
 * @example
 * ```ts
 * const code = await demoCommand({ seed: 42, customers: 2000, seeds: 10 }, out, process.stderr, false);
 * ```
 */

/** Options of `brokerlab demo`. */
export interface DemoOptions {
  readonly seed: number;
  readonly customers: number;
  /** Seeds for the M/M/1 confidence interval. */
  readonly seeds: number;
}

/** Celery task ids are UUIDs; the demo shows their first 8 characters so log lines fit. */
const UUID = /\b([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g;

/**
 * Runs the demo and writes it in `out`'s format; progress goes to `err` (a terminal only).
 * `timings`: print wall-clock durations (the CLI does on a terminal only).
 *
 * @example
 * ```ts
 * await demoCommand({ seed: 1, customers: 500, seeds: 5 }, out, process.stderr, false);
 * ```
 */
export async function demoCommand(
  options: DemoOptions,
  out: Writer,
  err: OutStream,
  timings: boolean,
): Promise<number> {
  const { seed, customers } = options;
  const format: Format = out.format;
  const c = out.color;
  const heading = (n: number, title: string) => {
    if (format === "markdown") out.line(`## ${n}. ${title}\n`);
    else if (format === "text") out.line(`${c.bold(`${n}. ${title}`)}\n`);
  };
  const paint = (text: string) =>
    text
      .split("\n")
      .map((l) =>
        /UNEXPECTED|VIOLATED|DIFFERENT|OUTSIDE|FAILS/.test(l)
          ? c.red(l)
          : /^=> ✓|identical trace|inside the interval|^passes:/.test(l.trim())
            ? c.green(l)
            : /^=> broken as predicted/.test(l)
              ? c.yellow(l)
              : l,
      )
      .join("\n");

  if (format === "markdown") out.line(`# brokerlab demo — seed ${seed}\n`);
  else if (format === "text") out.line(`${c.bold(`brokerlab demo — seed ${seed}`)}\n`);

  let progress = startProgress(err, "M/M/1 runs", options.seeds + 1);
  const wall0 = performance.now();
  const study = await runKernelStudy(seed, customers, options.seeds, (done, total) =>
    progress.update(done, total),
  );
  const wallMs = performance.now() - wall0;
  progress.stop();
  heading(1, "The virtual-clock kernel: an M/M/1 queue (arrivals every 10 ms, service 8 ms on average)");
  if (format !== "json") {
    out.line(paint(formatKernelDemo(study, format)));
    out.line();
    if (timings)
      out.line(
        `(${options.seeds + 1} runs of about ${(study.report.virtualDurationMs / 1000).toFixed(0)} virtual seconds each took ${wallMs.toFixed(0)} ms of wall time)\n`,
      );
  }

  progress = startProgress(err, "pipeline runs", 1);
  const exactlyOnce = await runExactlyOncePipelineReport(seed, {
    onProgress: (done, total) => progress.update(done, total),
  });
  progress.stop();
  heading(2, "Kafka transactions: a consume-transform-produce pipeline crashed at every step");
  if (format !== "json") out.line(`${paint(formatExactlyOnceReport(exactlyOnce, format))}\n`);

  progress = startProgress(err, "exploring", 700);
  const payment = await runPaymentDemo(seed, (done, total, label) => progress.update(done, total, label));
  progress.stop();
  heading(3, "Find the bug in my consumer: the course's payment handler, explored under crashes");
  if (format !== "json") out.line(`${paint(formatPaymentDemo(payment, { format, timings }))}\n`);

  heading(4, "Celery-style tasks: the video pipeline (retries, a dead-letter queue, a worker crash)");
  const log: string[] = [];
  if (format === "text") out.line("(task ids shortened to their first 8 characters)\n");
  if (format === "markdown") out.line("```text");
  const video = await runTasksDemo(seed, (line) => {
    if (format === "json") log.push(line);
    // Continuation lines of a Celery log line start under its message, after the timestamp.
    else out.line(fitText(line.replace(UUID, "$1"), WIDTH, /^\[[\d:.]+\] /.test(line) ? 15 : 4));
  });
  if (format === "markdown") out.line("```");

  const videoAsExpected = video.dead.length === 1 && video.early === "STARTED" && video.late === "SUCCESS";
  const paymentAsExpected = !payment.course.ok && payment.fixed.ok;
  const deterministic = study.again.traceHash === study.report.traceHash;
  if (format === "json") {
    const failure = payment.course.failure;
    out.json({
      seed,
      customers,
      kernel: {
        run: study.report,
        secondRunTraceHash: study.again.traceHash,
        meanWaitOverSeeds: { seeds: study.seeds, ...study.meanWaitMs, confidence: 0.95 },
        theoryWaitMs: study.theoryWaitMs,
        theoryInsideInterval: study.theoryInside,
      },
      exactlyOnce,
      payment: {
        course: {
          ok: payment.course.ok,
          runs: payment.course.runs,
          failure:
            failure === null
              ? null
              : {
                  seed: failure.seed,
                  plan: failure.plan,
                  fired: failure.fired,
                  anomalies: failure.check.anomalies.map((a) => a.message),
                  traceHash: failure.traceHash,
                },
        },
        fixed: { ok: payment.fixed.ok, runs: payment.fixed.runs },
      },
      tasks: { log, deadLetters: video.dead, earlyAck: video.early, lateAck: video.late },
      ok: deterministic && exactlyOnce.ok && paymentAsExpected && videoAsExpected,
    });
  }
  return deterministic && exactlyOnce.ok && paymentAsExpected && videoAsExpected ? 0 : 1;
}
