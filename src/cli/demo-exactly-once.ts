import {
  type Consumer,
  type ConsumerRecord,
  LogCluster,
  type Producer,
  type TxnCrashPoint,
} from "../log/index.js";
import { RandomSource } from "../scheduler/random.js";
import { Simulation } from "../scheduler/simulation.js";
import { check as checkHistory } from "../semantics/check.js";
import { History } from "../semantics/history.js";

/**
 * The exactly-once pipeline demo: consume orders from `orders`, total each one, produce the total
 * to `order-totals`, and commit the consumed offsets — three ways:
 *
 * - **transactional**: the outputs and the input offsets are one Kafka transaction
 *   (`sendOffsetsToTransaction`), the restarted instance fences its predecessor, and the reader
 *   of `order-totals` uses `read_committed`;
 * - **commit after produce**: plain producer, `commitSync` once the outputs are acknowledged
 *   (at-least-once: a crash in between reprocesses, so the reader sees duplicates);
 * - **commit before produce**: `commitSync` first, then produce (at-most-once: a crash in
 *   between skips the batch, so the reader misses inputs).
 *
 * Each variant is crashed and restarted at every step boundary in turn, then under crash
 * schedules drawn from the seed; a `read_committed` reader then counts how often it sees each
 * order. Everything runs on one virtual clock, so a seed gives the same report every time.
 *
 * @example
 * ```ts
 * const report = await runExactlyOncePipelineReport(42);
 * console.log(formatExactlyOnceReport(report)); // report.ok: transactional holds, the others break as predicted
 * ```
 */

/** The three ways to run the pipeline. */
export type PipelineVariantName = "transactional" | "commit-after-produce" | "commit-before-produce";

/** Places where a pipeline instance can crash (process death: no cleanup, no commit). */
export type PipelineStep =
  | "after-poll"
  | "between-sends"
  | "after-produce"
  | "before-send-offsets"
  | "after-send-offsets"
  | "before-commit"
  | "during-commit"
  | "after-commit";

/** A variant and the step boundaries it has, in the order a batch meets them. */
export interface PipelineVariant {
  readonly name: PipelineVariantName;
  readonly label: string;
  /** The guarantee the variant provides (what the report expects to observe). */
  readonly guarantee: "exactly-once" | "at-least-once" | "at-most-once";
  readonly steps: readonly PipelineStep[];
}

/**
 * The variants, with their step boundaries.
 *
 * @example
 * ```ts
 * PIPELINE_VARIANTS.map((v) => v.name); // ["transactional", "commit-after-produce", "commit-before-produce"]
 * ```
 */
export const PIPELINE_VARIANTS: readonly PipelineVariant[] = Object.freeze([
  {
    name: "transactional",
    label: "transactional (offsets inside the transaction, read_committed reader)",
    guarantee: "exactly-once",
    steps: [
      "after-poll",
      "between-sends",
      "before-send-offsets",
      "after-send-offsets",
      "before-commit",
      "during-commit",
      "after-commit",
    ],
  },
  {
    name: "commit-after-produce",
    label: "commit after produce (no transaction)",
    guarantee: "at-least-once",
    steps: ["after-poll", "between-sends", "after-produce", "after-commit"],
  },
  {
    name: "commit-before-produce",
    label: "commit before produce (no transaction)",
    guarantee: "at-most-once",
    steps: ["after-poll", "after-commit", "between-sends", "after-produce"],
  },
]);

/** Crash the `occurrence`-th time (1-based, over the whole run) the pipeline reaches `step`. */
export interface PlannedCrash {
  readonly step: PipelineStep;
  readonly occurrence: number;
}

/** One order seen more than once, with where. */
export interface DuplicateEvidence {
  readonly orderId: string;
  readonly count: number;
  /** `partition@offset` of each copy in `order-totals`. */
  readonly at: readonly string[];
}

/** What one run of the pipeline showed. */
export interface PipelineRun {
  readonly variant: PipelineVariantName;
  /** Human label of the crash plan ("none", "during-commit", "generated #3: …"). */
  readonly crashPoint: string;
  readonly plan: readonly PlannedCrash[];
  /** Crashes that actually happened. */
  readonly crashes: number;
  /** Planned crashes the run never reached (the pipeline finished before that occurrence). */
  readonly unreached: readonly PlannedCrash[];
  readonly inputs: number;
  /** Records the read_committed reader saw in `order-totals`. */
  readonly outputsSeen: number;
  readonly duplicates: readonly DuplicateEvidence[];
  /** Orders the reader never saw. */
  readonly lost: readonly string[];
  /** Records in `order-totals` that only read_uncommitted would see (aborted attempts). */
  readonly hiddenAborted: number;
  readonly finished: boolean;
  readonly verdict: "exactly once" | "duplicates" | "loss" | "duplicates and loss" | "did not finish";
  /** Virtual time the run took. */
  readonly virtualMs: number;
}

/** The outcome per variant. */
export interface VariantVerdict {
  readonly variant: PipelineVariantName;
  readonly guarantee: PipelineVariant["guarantee"];
  /** True when the variant behaved as its guarantee predicts (transactional: never a duplicate or a loss). */
  readonly asExpected: boolean;
  readonly summary: string;
}

/** The whole report. */
export interface ExactlyOnceReport {
  readonly seed: number;
  readonly inputs: number;
  readonly runs: readonly PipelineRun[];
  readonly verdicts: readonly VariantVerdict[];
  /** Transactional variant held and both broken variants failed as expected. */
  readonly ok: boolean;
}

interface Order {
  readonly id: string;
  readonly customer: string;
  readonly items: readonly { readonly sku: string; readonly qty: number; readonly price: number }[];
}

const GROUP = "order-totals-app";
const TRANSACTIONAL_ID = "order-totals-app";
const ORDERS = 12;
const VIRTUAL_LIMIT_MS = 20 * 60_000;

class Crash extends Error {
  constructor(readonly step: PipelineStep) {
    super(`crash at ${step}`);
  }
}

/** Maps the producer's transactional fault points onto the pipeline's steps. */
function stepOf(point: TxnCrashPoint, send: number): PipelineStep | null {
  switch (point) {
    case "before-send":
      return send >= 1 ? "between-sends" : null;
    case "before-send-offsets":
    case "after-send-offsets":
    case "before-commit":
    case "during-commit":
    case "after-commit":
      return point;
    default:
      return null;
  }
}

function makeOrders(random: RandomSource): Order[] {
  return Array.from({ length: ORDERS }, (_, i) => ({
    id: `order-${i + 1}`,
    customer: `customer-${random.int(1, 4)}`,
    items: Array.from({ length: random.int(1, 3) }, () => ({
      sku: `sku-${random.int(1, 9)}`,
      qty: random.int(1, 3),
      price: random.int(2, 40),
    })),
  }));
}

function totalOf(order: Order): number {
  return order.items.reduce((sum, item) => sum + item.qty * item.price, 0);
}

/**
 * Runs one variant of the pipeline under a crash plan, restarting it after every crash, and
 * reads `order-totals` with a read_committed reader at the end.
 *
 * @example
 * ```ts
 * const run = await runPipeline("commit-after-produce", [{ step: "after-produce", occurrence: 2 }], 7);
 * run.duplicates.length > 0; // true: the batch was produced twice
 * ```
 */
export async function runPipeline(
  variant: PipelineVariantName,
  plan: readonly PlannedCrash[],
  seed: number,
  crashPoint = plan.length === 0 ? "none" : plan.map((c) => `${c.step}#${c.occurrence}`).join(", "),
): Promise<PipelineRun> {
  const sim = new Simulation({ seed });
  const cluster = new LogCluster(sim, {
    requestLatencyMs: 1,
    groupInitialRebalanceDelayMs: 0,
    groupMinSessionTimeoutMs: 1000,
  });
  cluster.createTopic("orders", { partitions: 3 });
  cluster.createTopic("order-totals", { partitions: 2 });
  const orders = makeOrders(new RandomSource(seed, "orders"));
  const reached = new Map<PipelineStep, number>();
  const pending = plan.map((c) => ({ ...c }));
  let crashes = 0;
  /** True (once) when the plan says to crash at this step now. */
  const due = (step: PipelineStep): boolean => {
    const n = (reached.get(step) ?? 0) + 1;
    reached.set(step, n);
    const i = pending.findIndex((c) => c.step === step && c.occurrence === n);
    if (i < 0) return false;
    pending.splice(i, 1);
    return true;
  };
  const check = (step: PipelineStep) => {
    if (due(step)) throw new Crash(step);
  };
  const allCommitted = (): boolean => {
    if (!cluster.listGroups().includes(GROUP)) return false;
    const committed = new Map(cluster.groupOffsets(GROUP, "orders").map((o) => [o.partition, o.offset]));
    // A partition no order went to needs no commit.
    return cluster
      .offsets("orders")
      .every((o) => (committed.get(o.partition) ?? o.logStartOffset) === o.highWatermark);
  };
  const output = (r: ConsumerRecord) => {
    const order = r.value as Order;
    return {
      topic: "order-totals",
      key: order.customer,
      value: { orderId: order.id, total: totalOf(order) },
    };
  };
  const nextOffsets = (records: readonly ConsumerRecord[]) => {
    const next = new Map<string, { topic: string; partition: number; offset: number }>();
    for (const r of records)
      next.set(`${r.topic}:${r.partition}`, { topic: r.topic, partition: r.partition, offset: r.offset + 1 });
    return [...next.values()];
  };

  /** One process lifetime of the pipeline: "done" when every input is committed, "crashed" otherwise. */
  const instance = async (n: number): Promise<"done" | "crashed"> => {
    const consumer: Consumer = cluster.consumer({
      groupId: GROUP,
      clientId: `pipeline-${n}`,
      enableAutoCommit: false,
      autoOffsetReset: "earliest",
      isolationLevel: "read_committed",
      maxPollRecords: 3,
      sessionTimeoutMs: 2000,
      heartbeatIntervalMs: 500,
    });
    const transactional = variant === "transactional";
    const producer: Producer = cluster.producer(
      transactional
        ? { clientId: `pipeline-${n}`, transactionalId: TRANSACTIONAL_ID }
        : { clientId: `pipeline-${n}` },
    );
    if (transactional) {
      producer.setTransactionCrashHook((point, info) => {
        const step = stepOf(point, info.send);
        return step !== null && due(step);
      });
    }
    try {
      consumer.subscribe(["orders"]);
      if (transactional) await producer.initTransactions();
      for (;;) {
        if (allCommitted()) {
          consumer.close();
          await producer.close();
          return "done";
        }
        if (sim.now - sim.start > VIRTUAL_LIMIT_MS) throw new Error("virtual time limit reached");
        const records = await consumer.pollAsync(500);
        if (records.length === 0) continue;
        check("after-poll");
        if (transactional) {
          producer.beginTransaction();
          // Each send awaited, as kafkajs' transaction.send is: a crash between sends leaves the
          // earlier records appended to the open transaction (the restart aborts them).
          for (const r of records) await producer.send(output(r));
          await producer.sendOffsetsToTransaction(nextOffsets(records), consumer.groupMetadata());
          await producer.commitTransaction();
        } else if (variant === "commit-after-produce") {
          for (let i = 0; i < records.length; i++) {
            if (i > 0) check("between-sends");
            await producer.send(output(records[i]!));
          }
          check("after-produce");
          consumer.commitSync(nextOffsets(records));
          check("after-commit");
        } else {
          consumer.commitSync(nextOffsets(records));
          check("after-commit");
          for (let i = 0; i < records.length; i++) {
            if (i > 0) check("between-sends");
            await producer.send(output(records[i]!));
          }
          check("after-produce");
        }
      }
    } catch (error) {
      const crashed = error instanceof Crash || (error as { code?: string }).code === "PRODUCER_CLOSED";
      if (!crashed) throw error;
      crashes++;
      consumer.crash();
      producer.crash();
      return "crashed";
    }
  };

  let finished = false;
  sim.after(0, async () => {
    const input = cluster.producer({ clientId: "order-source" });
    await Promise.all(orders.map((o) => input.send({ topic: "orders", key: o.customer, value: o })));
    await input.close();
    for (let n = 1; sim.now - sim.start <= VIRTUAL_LIMIT_MS; n++) {
      if ((await instance(n)) === "done") {
        finished = true;
        break;
      }
      await sim.sleep(100); // the supervisor restarts the process
    }
  });
  await sim.run();
  cluster.checkInvariants();

  // The reader: read_committed over every partition of order-totals, as a history that the
  // semantics layer's checker judges (every order sent once; each total read counts as processed).
  const history = new History();
  for (const o of orders) {
    history.add("order-source", "invoke", "send", { id: o.id, topic: "orders" });
    history.add("order-source", "ok", "send", { id: o.id, topic: "orders" });
  }
  let outputsSeen = 0;
  let everything = 0;
  for (const { partition, logStartOffset } of cluster.offsets("order-totals")) {
    everything += cluster.fetch("order-totals", partition, logStartOffset).length;
    for (const r of cluster.fetch("order-totals", partition, logStartOffset, {
      isolationLevel: "read_committed",
    })) {
      const { orderId } = r.value as { orderId: string };
      const value = {
        id: orderId,
        topic: "order-totals",
        partition,
        offset: r.offset,
        isolation: "read_committed" as const,
      };
      history.add("reader", "invoke", "receive", value);
      history.add("reader", "ok", "receive", value);
      outputsSeen++;
    }
  }
  const result = checkHistory(history, { guarantee: "exactly-once", processedBy: "receive" });
  const duplicates = result.anomalies
    .filter((a) => a.kind === "duplicate")
    .map((a) => {
      const copies = a.evidence.filter((op) => op.f === "receive");
      return {
        orderId: a.ids[0]!,
        count: copies.length,
        at: copies.map((op) => `${op.value.partition}@${op.value.offset}`),
      };
    });
  const lost = result.anomalies.filter((a) => a.kind === "lost").map((a) => a.ids[0]!);
  const verdict: PipelineRun["verdict"] = !finished
    ? "did not finish"
    : duplicates.length > 0 && lost.length > 0
      ? "duplicates and loss"
      : duplicates.length > 0
        ? "duplicates"
        : lost.length > 0
          ? "loss"
          : "exactly once";
  return {
    variant,
    crashPoint,
    plan: plan.map((c) => ({ ...c })),
    crashes,
    unreached: pending.map((c) => ({ step: c.step, occurrence: c.occurrence })),
    inputs: orders.length,
    outputsSeen,
    duplicates,
    lost,
    hiddenAborted: everything - outputsSeen,
    finished,
    verdict,
    virtualMs: sim.now - sim.start,
  };
}

/**
 * Crash plans for a variant: none, each step boundary in turn (at its second occurrence, so the
 * pipeline has made progress), and `generated` schedules of one to three crashes drawn from the seed.
 *
 * @example
 * ```ts
 * crashPlans(PIPELINE_VARIANTS[0], 42, 4).map((p) => p.label);
 * ```
 */
export function crashPlans(
  variant: PipelineVariant,
  seed: number,
  generated: number,
): { label: string; plan: PlannedCrash[] }[] {
  const plans: { label: string; plan: PlannedCrash[] }[] = [{ label: "none", plan: [] }];
  for (const step of variant.steps) plans.push({ label: step, plan: [{ step, occurrence: 2 }] });
  const random = new RandomSource(seed, `crash-schedules:${variant.name}`);
  for (let g = 1; g <= generated; g++) {
    const count = random.int(1, 3);
    const plan: PlannedCrash[] = [];
    for (let i = 0; i < count; i++) {
      const crash = { step: random.pick(variant.steps), occurrence: random.int(1, 4) };
      if (!plan.some((c) => c.step === crash.step && c.occurrence === crash.occurrence)) plan.push(crash);
    }
    plan.sort(
      (a, b) => a.occurrence - b.occurrence || variant.steps.indexOf(a.step) - variant.steps.indexOf(b.step),
    );
    plans.push({
      label: `generated #${g}: ${plan.map((c) => `${c.step}#${c.occurrence}`).join(", ")}`,
      plan,
    });
  }
  return plans;
}

/**
 * Runs every variant under every crash plan and judges them: the transactional pipeline must
 * deliver every input exactly once in every run; commit-after-produce must show duplicates (and
 * never loss); commit-before-produce must show loss (and never duplicates).
 *
 * @example
 * ```ts
 * const report = await runExactlyOncePipelineReport(42);
 * process.exitCode = report.ok ? 0 : 1;
 * ```
 */
export async function runExactlyOncePipelineReport(
  seed = 42,
  options: { generated?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<ExactlyOnceReport> {
  if (!Number.isInteger(seed))
    throw new TypeError(`runExactlyOncePipelineReport: seed must be an integer, got ${seed}.`);
  const generated = options.generated ?? 6;
  if (!Number.isInteger(generated) || generated < 0)
    throw new TypeError(`runExactlyOncePipelineReport: generated must be an integer ≥ 0, got ${generated}.`);
  const runs: PipelineRun[] = [];
  const verdicts: VariantVerdict[] = [];
  const total = PIPELINE_VARIANTS.reduce((n, v) => n + 1 + v.steps.length + generated, 0);
  for (const variant of PIPELINE_VARIANTS) {
    const mine: PipelineRun[] = [];
    for (const { label, plan } of crashPlans(variant, seed, generated)) {
      mine.push(await runPipeline(variant.name, plan, seed, label));
      options.onProgress?.(runs.length + mine.length, total);
    }
    runs.push(...mine);
    const withDuplicates = mine.filter((r) => r.duplicates.length > 0).length;
    const withLoss = mine.filter((r) => r.lost.length > 0).length;
    const unfinished = mine.filter((r) => !r.finished).length;
    let asExpected: boolean;
    let summary: string;
    if (variant.guarantee === "exactly-once") {
      asExpected = withDuplicates === 0 && withLoss === 0 && unfinished === 0;
      summary = asExpected
        ? `holds: every input seen exactly once in all ${mine.length} runs`
        : `VIOLATED: duplicates in ${withDuplicates}, loss in ${withLoss}, unfinished ${unfinished} of ${mine.length} runs`;
    } else if (variant.guarantee === "at-least-once") {
      asExpected = withDuplicates > 0 && withLoss === 0 && unfinished === 0;
      summary = asExpected
        ? `broken as predicted: duplicates in ${withDuplicates} of ${mine.length} runs, never a loss (at-least-once)`
        : `UNEXPECTED: duplicates in ${withDuplicates}, loss in ${withLoss}, unfinished ${unfinished} of ${mine.length} runs`;
    } else {
      asExpected = withLoss > 0 && withDuplicates === 0 && unfinished === 0;
      summary = asExpected
        ? `broken as predicted: loss in ${withLoss} of ${mine.length} runs, never a duplicate (at-most-once)`
        : `UNEXPECTED: loss in ${withLoss}, duplicates in ${withDuplicates}, unfinished ${unfinished} of ${mine.length} runs`;
    }
    verdicts.push({ variant: variant.name, guarantee: variant.guarantee, asExpected, summary });
  }
  return { seed, inputs: ORDERS, runs, verdicts, ok: verdicts.every((v) => v.asExpected) };
}

export { formatExactlyOnceReport, planLabel } from "./demo-exactly-once-format.js";
