#!/usr/bin/env node
/**
 * The `brokerlab` command. Node only: this is the one place under src/ that may use node: modules
 * and the wall clock.
 *
 *   brokerlab demo [--seed N]   run the demo scenarios and print their reports
 *   brokerlab help
 */
import { parseArgs } from "node:util";
import { formatExactlyOnceReport, runExactlyOncePipelineReport } from "./demo-exactly-once.js";
import { formatKernelDemo, runKernelDemo } from "./demo-kernel.js";
import { formatPaymentDemo, runPaymentDemo } from "./demo-payment.js";
import { runTasksDemo } from "./demo-tasks.js";

const USAGE = `usage: brokerlab <command> [options]

commands:
  demo [--seed N] [--customers N]   run the demo scenarios and print a report (default)
  help                              show this text
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      seed: { type: "string", default: "42" },
      customers: { type: "string", default: "20000" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const command = positionals[0] ?? "demo";
  if (values.help || command === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command !== "demo") {
    process.stderr.write(`brokerlab: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  const seed = Number(values.seed);
  const customers = Number(values.customers);
  if (!Number.isInteger(seed) || !Number.isInteger(customers) || customers <= 0) {
    process.stderr.write("brokerlab demo: --seed must be an integer and --customers a positive integer\n");
    return 2;
  }
  const wallStart = performance.now();
  const report = await runKernelDemo(seed, customers);
  const again = await runKernelDemo(seed, customers);
  const wallMs = performance.now() - wallStart;
  process.stdout.write(`brokerlab demo — seed ${seed}\n\n`);
  process.stdout.write(
    "1. The virtual-clock kernel: an M/M/1 queue (arrivals every 10 ms, service 8 ms on average)\n\n",
  );
  process.stdout.write(`${formatKernelDemo(report, again)}\n\n`);
  process.stdout.write(
    `(two runs of ${(report.virtualDurationMs / 1000).toFixed(0)} virtual seconds took ${wallMs.toFixed(0)} ms of wall time)\n\n`,
  );
  process.stdout.write(
    "2. Kafka transactions: a consume-transform-produce pipeline crashed at every step\n\n",
  );
  const exactlyOnce = await runExactlyOncePipelineReport(seed);
  process.stdout.write(`${formatExactlyOnceReport(exactlyOnce)}\n`);
  process.stdout.write(
    "\n3. Find the bug in my consumer: the course's payment handler, explored under crashes\n\n",
  );
  const payment = await runPaymentDemo(seed);
  process.stdout.write(`${formatPaymentDemo(payment)}\n`);
  process.stdout.write(
    "\n4. Celery-style tasks: the video pipeline (retries with backoff, a dead-letter queue, a worker crash)\n\n",
  );
  const video = await runTasksDemo(seed, (line) => process.stdout.write(`${line}\n`));
  const videoAsExpected = video.dead.length === 1 && video.early === "STARTED" && video.late === "SUCCESS";
  const paymentAsExpected = !payment.course.ok && payment.fixed.ok;
  return again.traceHash === report.traceHash && exactlyOnce.ok && paymentAsExpected && videoAsExpected
    ? 0
    : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`brokerlab: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
