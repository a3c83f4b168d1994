// Consume → transform → produce with Kafka transactions, crashed and restarted at every step:
// the transactional pipeline delivers every order exactly once to a read_committed reader;
// committing after producing duplicates, committing before producing loses.
// Run with: npx tsx examples/exactly-once-pipeline.ts [seed]
import { formatExactlyOnceReport, runExactlyOncePipelineReport } from "brokerlab/demos";

const seed = Number(process.argv[2] ?? 42);
if (!Number.isInteger(seed)) {
  console.error("usage: npx tsx examples/exactly-once-pipeline.ts [integer seed]");
  process.exit(2);
}
const report = await runExactlyOncePipelineReport(seed);
console.log(formatExactlyOnceReport(report));
process.exitCode = report.ok ? 0 : 1;
