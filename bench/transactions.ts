/**
 * Transactions benchmark: what Kafka-style transactions cost in brokerlab, each workload set
 * against a reference measured in the same run.
 *
 *   npx tsx bench/transactions.ts [--json]
 *
 * - committed transactions/s with 1, 10 and 100 records per transaction (begin → sends → commit
 *   through the whole client/coordinator/marker path on the virtual clock; protocol v1, and v2
 *   for 10 records); reference: the same records sent by a plain idempotent producer, one awaited
 *   batch per "transaction";
 * - fetch cost of read_committed against read_uncommitted over the same partition: 1M records in
 *   transactions of 100 from two interleaved producers (every tenth transaction of one of them
 *   aborted), read 500 at a time with `readInto`; second reference: the same number of
 *   non-transactional records. Rates count records returned.
 */
import { LogCluster } from "../src/log/cluster.js";
import { FetchBuffer, PartitionLog } from "../src/log/partition-log.js";
import type { Producer } from "../src/log/producer.js";
import { ATTR_TRANSACTIONAL } from "../src/log/segment.js";
import { TOPIC_DEFAULTS } from "../src/log/topic-config.js";
import type { TransactionProtocol } from "../src/log/transaction-state.js";
import { Simulation } from "../src/scheduler/simulation.js";
import { formatRate, formatRateSpread, interleaved, option, spread, table, wantsJson } from "./harness.js";

const VALUE = new Uint8Array(100);

// ------------------------------------------------------------------ transactions/s

/** Runs `count` rounds of `records` sends in one simulation; returns the rounds done. */
async function rounds(
  count: number,
  records: number,
  protocol: TransactionProtocol,
  transactional: boolean,
): Promise<number> {
  const sim = new Simulation({ seed: 1 });
  const cluster = new LogCluster(sim, { transactionProtocol: protocol, retentionCheckIntervalMs: 1e12 });
  cluster.createTopic("out", { partitions: 4 });
  const producer: Producer = transactional
    ? cluster.producer({ transactionalId: "bench", lingerMs: 0 })
    : cluster.producer({ lingerMs: 0 });
  let done = 0;
  sim.after(0, async () => {
    if (transactional) await producer.initTransactions();
    const sends: Promise<unknown>[] = new Array(records);
    for (let t = 0; t < count; t++) {
      if (transactional) producer.beginTransaction();
      for (let i = 0; i < records; i++)
        sends[i] = producer.send({ topic: "out", partition: i & 3, value: VALUE });
      if (transactional) await producer.commitTransaction();
      else await Promise.all(sends);
      done++;
    }
  });
  await sim.run();
  if (done !== count) throw new Error(`only ${done} of ${count} rounds completed`);
  return count;
}

// ------------------------------------------------------------------ fetch cost

const FETCH_RECORDS = 1_000_000;
const TXN_SIZE = 100;
const batchValues = Array.from({ length: TXN_SIZE / 2 }, () => VALUE);
const batchTimestamps = new Array<number>(TXN_SIZE / 2).fill(0);

function newLog(): PartitionLog {
  return new PartitionLog("bench", 0, { ...TOPIC_DEFAULTS }, { clock: () => 0 });
}

/** Two producers' transactions interleaved in halves; every tenth transaction aborted. */
function transactionalLog(): PartitionLog {
  const log = newLog();
  for (let t = 0; log.logEndOffset < FETCH_RECORDS; t += 2) {
    // Two transactional batches per producer before the markers.
    for (const pid of [1, 2, 1, 2])
      log.appendBatch(
        null,
        batchValues,
        null,
        batchTimestamps,
        0,
        batchValues.length,
        null,
        pid,
        -1,
        ATTR_TRANSACTIONAL,
      );
    log.appendMarker(1, (t / 2) % 10 === 9 ? "abort" : "commit");
    log.appendMarker(2, "commit");
  }
  return log;
}

function plainLog(): PartitionLog {
  const log = newLog();
  while (log.logEndOffset < FETCH_RECORDS) log.appendBatch(null, batchValues, null, batchTimestamps);
  return log;
}

function fetchAll(log: PartitionLog, readCommitted: boolean): number {
  const buffer = new FetchBuffer();
  let offset = log.logStartOffset;
  let records = 0;
  while (offset < log.logEndOffset) {
    records += log.readInto(offset, 500, Number.POSITIVE_INFINITY, buffer, readCommitted);
    offset = buffer.nextOffset;
  }
  return records;
}

// ------------------------------------------------------------------ main

interface Row {
  workload: string;
  brokerlab: string;
  reference: string;
  ratio: string;
}

async function main(): Promise<void> {
  const runs = Number(option("runs") ?? 5);
  const rows: Row[] = [];
  for (const [records, protocol, count] of [
    [1, "v1", 20_000],
    [10, "v1", 5_000],
    [100, "v1", 500],
    [10, "v2", 5_000],
  ] as const) {
    const [oursRates, referenceRates] = await interleaved(runs, [
      () => rounds(count, records, protocol, true),
      () => rounds(count, records, protocol, false),
    ]);
    const ours = spread(oursRates!).median;
    const reference = spread(referenceRates!).median;
    rows.push({
      workload: `committed transactions of ${records} record${records === 1 ? "" : "s"} (${protocol})`,
      brokerlab: `${formatRateSpread(oursRates!)} txns (${formatRate(ours * records)} records)`,
      reference: `plain idempotent batches: ${formatRateSpread(referenceRates!)}`,
      ratio: `${(ours / reference).toFixed(2)}×`,
    });
  }

  const txnLog = transactionalLog();
  const plain = plainLog();
  // Warm both paths first: the same readInto serves both, so measuring one before the other has
  // ever run would charge the second for a deoptimization.
  for (let i = 0; i < 2; i++) {
    fetchAll(txnLog, true);
    fetchAll(txnLog, false);
    fetchAll(plain, false);
  }
  const committedCount = fetchAll(txnLog, true);
  const uncommittedCount = fetchAll(txnLog, false);
  const [uncommittedRates, committedRates, plainRates] = await interleaved(runs, [
    () => fetchAll(txnLog, false),
    () => fetchAll(txnLog, true),
    () => fetchAll(plain, false),
  ]);
  const uncommitted = spread(uncommittedRates!).median;
  const committed = spread(committedRates!).median;
  const plainRate = spread(plainRates!).median;
  rows.push({
    workload: `fetch read_uncommitted, readInto 500 (1M transactional records, ${txnLog.abortedTransactions().length} aborted txns)`,
    brokerlab: `${formatRateSpread(uncommittedRates!)} (${uncommittedCount} returned)`,
    reference: `non-transactional log: ${formatRate(plainRate)}`,
    ratio: `${(uncommitted / plainRate).toFixed(2)}×`,
  });
  rows.push({
    workload: "fetch read_committed, same partition (aborted index, LSO bound)",
    brokerlab: `${formatRateSpread(committedRates!)} (${committedCount} returned)`,
    reference: `read_uncommitted: ${formatRate(uncommitted)}`,
    ratio: `${(committed / uncommitted).toFixed(2)}×`,
  });

  if (wantsJson) {
    console.log(JSON.stringify({ benchmark: "transactions", node: process.version, rows }, null, 2));
    return;
  }
  console.log(`transactions (node ${process.version}, median and min–max of ${runs} interleaved runs)\n`);
  console.log(
    table(
      ["workload", "brokerlab", "reference", "ratio"],
      rows.map((r) => [r.workload, r.brokerlab, r.reference, r.ratio]),
    ),
  );
}

await main();
