import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Producer } from "../../src/log/producer.js";
import { TXN_CRASH_POINTS, type TxnCrashPoint } from "../../src/log/transaction-manager.js";
import type { TransactionProtocol } from "../../src/log/transaction-state.js";
import { drive, outcome, txnSetup } from "./txn-helpers.js";

/**
 * Generated schedules of transactional work by two applications (each its own transactional id),
 * with crashes (now, or at a fault point), restarts (which fence the previous instance, left
 * behind as a zombie that keeps trying), aborts, time passing beyond the transaction timeout,
 * lost produce acknowledgements and (v2) late EndTxn requests. After every step and at the end:
 * read_committed sees no record of an aborted, failed or open transaction; committed transactions
 * are all-or-nothing across partitions; a fenced instance never appends again; transactional
 * offsets exist only if their transaction committed.
 */

type Target = "current" | "zombie";
type Op =
  | { op: "begin" | "commit" | "abort" | "crash" | "restart"; app: number; target: Target }
  | { op: "send"; app: number; target: Target; partition: number }
  | { op: "sendOffsets"; app: number; target: Target }
  | { op: "work"; app: number; partitions: number[]; offsets: boolean; end: "commit" | "abort" }
  | { op: "lateEnd"; app: number; end: "commit" | "abort"; partition: number }
  | { op: "crashAt"; app: number; point: TxnCrashPoint }
  | { op: "advance"; ms: number }
  | { op: "dropProduceAck" }
  | { op: "delayEndTxn" };

const PARTITIONS = 3;
const TIMEOUT_MS = 3000;

function opArb(protocol: TransactionProtocol): fc.Arbitrary<Op> {
  const app = fc.integer({ min: 0, max: 1 });
  const target = fc.constantFrom<Target>("current", "current", "current", "zombie");
  const simple = (op: "begin" | "commit" | "abort" | "crash" | "restart") =>
    fc.record({ op: fc.constant(op), app, target });
  const send = fc.record({
    op: fc.constant("send" as const),
    app,
    target,
    partition: fc.integer({ min: 0, max: PARTITIONS - 1 }),
  });
  const work = fc.record({
    op: fc.constant("work" as const),
    app,
    partitions: fc.array(fc.integer({ min: 0, max: PARTITIONS - 1 }), { minLength: 1, maxLength: 4 }),
    offsets: fc.boolean(),
    end: fc.constantFrom<"commit" | "abort">("commit", "commit", "commit", "abort"),
  });
  const options: { arbitrary: fc.Arbitrary<Op>; weight: number }[] = [
    { arbitrary: work, weight: 6 },
    { arbitrary: simple("begin"), weight: 4 },
    { arbitrary: send, weight: 8 },
    { arbitrary: fc.record({ op: fc.constant("sendOffsets" as const), app, target }), weight: 2 },
    { arbitrary: simple("commit"), weight: 4 },
    { arbitrary: simple("abort"), weight: 1 },
    { arbitrary: simple("crash"), weight: 1 },
    { arbitrary: simple("restart"), weight: 2 },
    {
      arbitrary: fc.record({
        op: fc.constant("crashAt" as const),
        app,
        point: fc.constantFrom(...TXN_CRASH_POINTS),
      }),
      weight: 1,
    },
    {
      arbitrary: fc.record({ op: fc.constant("advance" as const), ms: fc.constantFrom(10, 200, 1500, 5000) }),
      weight: 2,
    },
    { arbitrary: fc.record({ op: fc.constant("dropProduceAck" as const) }), weight: 1 },
  ];
  // v1 cannot survive a late EndTxn (that is the hazard the fencing tests demonstrate). "lateEnd"
  // sets it up on purpose: a transaction whose first EndTxn is held past the request timeout, then
  // the next transaction open (with a record) when the held request lands.
  if (protocol === "v2") {
    options.push({ arbitrary: fc.record({ op: fc.constant("delayEndTxn" as const) }), weight: 1 });
    options.push({
      arbitrary: fc.record({
        op: fc.constant("lateEnd" as const),
        app,
        end: fc.constantFrom<"commit" | "abort">("commit", "abort"),
        partition: fc.integer({ min: 0, max: PARTITIONS - 1 }),
      }),
      weight: 2,
    });
  }
  return fc.oneof(...options);
}

interface Txn {
  app: number;
  instance: number;
  values: { partition: number; value: string }[];
  offset: number | null;
  status: "open" | "committed" | "aborted" | "failed" | "unknown";
}

interface Instance {
  id: number;
  app: number;
  producer: Producer;
  txn: Txn | null;
  /** Index in the event log at which its initTransactions completed (-1 if it never did). */
  readyAt: number;
}

async function runSchedule(protocol: TransactionProtocol, ops: Op[]) {
  const { sim, cluster } = txnSetup(protocol, { transactionAbortTimedOutTransactionCleanupIntervalMs: 500 });
  cluster.createTopic("out", { partitions: PARTITIONS, config: { messageTimestampType: "LogAppendTime" } });
  cluster.createTopic("in");
  const events: {
    type: string;
    pid?: number;
    reason?: string;
    tid?: string;
    partition?: number;
    base?: number;
    count?: number;
  }[] = [];
  sim.bus.on("txn.fenced", (e) => events.push({ type: "fenced", tid: e.transactionalId, reason: e.reason }));
  sim.bus.on("log.append", (e) => {
    if (e.topic === "out")
      events.push({ type: "append", partition: e.partition, base: e.baseOffset, count: e.count });
  });
  let dropAck = false;
  let delayEndTxn = false;
  cluster.network.setFaultHook((r) => {
    if (r.kind === "produce" && dropAck) {
      dropAck = false;
      return "drop-response";
    }
    if (r.kind === "end-txn" && r.attempt === 0 && delayEndTxn) {
      delayEndTxn = false;
      return { delayRequestMs: 2500 };
    }
    return undefined;
  });
  const txns: Txn[] = [];
  const instances: Instance[] = [];
  const current: (Instance | null)[] = [null, null];
  const zombie: (Instance | null)[] = [null, null];
  let nextOffset = 0;
  const crashed = new Set<number>();

  const start = async (app: number) => {
    const producer = cluster.producer({
      transactionalId: `app-${app}`,
      clientId: `app-${app}-${instances.length}`,
      transactionTimeoutMs: TIMEOUT_MS,
      requestTimeoutMs: 1000,
      deliveryTimeoutMs: 4000,
    });
    const instance: Instance = { id: instances.length, app, producer, txn: null, readyAt: -1 };
    instances.push(instance);
    if (current[app] !== null) zombie[app] = current[app] ?? null;
    current[app] = instance;
    if ((await outcome(producer.initTransactions())) === "ok") {
      instance.readyAt = events.length;
      events.push({ type: "ready" });
    }
  };

  /** read_committed view: every visible value. */
  const visible = () => {
    const values = new Set<string>();
    for (let p = 0; p < PARTITIONS; p++)
      for (const r of cluster.fetch("out", p, 0, { isolationLevel: "read_committed" }))
        values.add(r.value as string);
    return values;
  };

  const checkStep = () => {
    const seen = visible();
    for (const t of txns) {
      if (t.status === "committed" || t.status === "unknown") continue;
      for (const v of t.values)
        expect(seen.has(v.value), `${v.value} of a ${t.status} transaction is visible`).toBe(false);
    }
    cluster.checkInvariants();
  };

  const finish = (t: Txn | null, status: Txn["status"]) => {
    if (t !== null && t.status === "open") t.status = status;
  };

  await drive(sim, async () => {
    await cluster.producer().send({ topic: "in", value: "input" }); // offsets 0..1 exist
    const fill = cluster.producer();
    await Promise.all(Array.from({ length: 60 }, (_, i) => fill.send({ topic: "in", value: i })));
    await start(0);
    await start(1);
    // A "work" op is a whole transaction of the current instance, step by step.
    type Step = Exclude<Op, { op: "work" | "lateEnd" }>;
    const steps: Step[] = ops.flatMap((o): Step[] =>
      o.op === "lateEnd"
        ? [
            { op: "delayEndTxn" },
            { op: "begin", app: o.app, target: "current" },
            { op: "send", app: o.app, target: "current", partition: o.partition },
            { op: o.end, app: o.app, target: "current" },
            { op: "begin", app: o.app, target: "current" },
            { op: "send", app: o.app, target: "current", partition: (o.partition + 1) % PARTITIONS },
            { op: "advance", ms: 2000 },
          ]
        : o.op !== "work"
          ? [o]
          : [
              { op: "begin", app: o.app, target: "current" },
              ...o.partitions.map((partition) => ({
                op: "send" as const,
                app: o.app,
                target: "current" as const,
                partition,
              })),
              ...(o.offsets ? [{ op: "sendOffsets" as const, app: o.app, target: "current" as const }] : []),
              { op: o.end, app: o.app, target: "current" },
            ],
    );
    for (const o of steps) {
      // One event per step: a run of steps that only throw at once would otherwise be a long
      // microtask chain, which the kernel (rightly) does not wait for.
      await sim.sleep(0);
      if (o.op === "advance") await sim.sleep(o.ms);
      else if (o.op === "dropProduceAck") dropAck = true;
      else if (o.op === "delayEndTxn") delayEndTxn = true;
      else if (o.op === "restart") await start(o.app);
      else if (o.op === "crashAt") {
        const inst = current[o.app];
        let fired = false;
        inst?.producer.setTransactionCrashHook((point) => {
          if (fired || point !== o.point) return false;
          fired = true;
          crashed.add(inst.id);
          return true;
        });
      } else {
        const inst = o.target === "current" ? current[o.app] : zombie[o.app];
        if (inst === null || inst === undefined) continue;
        const p = inst.producer;
        if (o.op === "begin") {
          if ((await outcome(() => p.beginTransaction())) === "ok") {
            const t: Txn = { app: o.app, instance: inst.id, values: [], offset: null, status: "open" };
            txns.push(t);
            inst.txn = t;
          }
        } else if (o.op === "send") {
          const t = inst.txn;
          const value = `${inst.id}:${txns.indexOf(t!)}:${t?.values.length ?? 0}`;
          try {
            p.send({ topic: "out", partition: o.partition, value }).catch(() => {});
            t?.values.push({ partition: o.partition, value });
          } catch {
            // refused at once: nothing was queued
          }
        } else if (o.op === "sendOffsets") {
          const offset = ++nextOffset;
          const code = await outcome(() =>
            p.sendOffsetsToTransaction([{ topic: "in", partition: 0, offset }], `group-${o.app}`),
          );
          // A crash around the call leaves the offsets possibly pending, never committed.
          if ((code === "ok" || code === "PRODUCER_CLOSED") && inst.txn?.status === "open")
            inst.txn.offset = offset;
        } else if (o.op === "commit") {
          const code = await outcome(() => p.commitTransaction());
          if (code === "ok") finish(inst.txn, "committed");
          else if (code === "PRODUCER_CLOSED" || code === "REQUEST_TIMED_OUT") finish(inst.txn, "unknown");
          else if (code === "INVALID_TXN_STATE" && p.transactionState === "ABORTABLE_ERROR") {
            finish(inst.txn, "aborted");
            await outcome(() => p.abortTransaction());
          } else if (code !== "INVALID_TXN_STATE") finish(inst.txn, "failed");
        } else if (o.op === "abort") {
          const code = await outcome(() => p.abortTransaction());
          if (code !== "INVALID_TXN_STATE") finish(inst.txn, "aborted");
        } else if (o.op === "crash") {
          p.crash();
          crashed.add(inst.id);
          finish(inst.txn, "failed");
        }
        // Fenced: whatever was open will never commit. Crashed mid-call: the outcome is unknown.
        if (p.transactionState === "FATAL_ERROR") finish(inst.txn, "failed");
        if (crashed.has(inst.id)) finish(inst.txn, "unknown");
      }
      checkStep();
    }
    await sim.sleep(TIMEOUT_MS * 3); // every transaction still open is aborted by its timeout
  });

  // ---- final checks
  checkStep();
  const seen = visible();
  const rc: string[] = [];
  for (let p = 0; p < PARTITIONS; p++)
    for (const r of cluster.fetch("out", p, 0, { isolationLevel: "read_committed" }))
      rc.push(r.value as string);
  expect(new Set(rc).size, "a committed record appears twice").toBe(rc.length);
  for (const t of txns) {
    const shown = t.values.filter((v) => seen.has(v.value)).length;
    if (t.status === "committed")
      expect(shown, `committed transaction ${JSON.stringify(t)}`).toBe(t.values.length);
    else if (t.status === "unknown")
      expect([0, t.values.length], `torn transaction ${JSON.stringify(t)}`).toContain(shown);
    else expect(shown).toBe(0);
  }
  // Offsets: the group's committed offset came from a transaction that committed.
  for (const app of [0, 1]) {
    const group = `group-${app}`;
    if (!cluster.listGroups().includes(group)) continue;
    const committed = cluster.groupOffsets(group)[0]?.offset;
    if (committed === undefined) continue;
    const owner = txns.find((t) => t.offset === committed)!;
    expect(owner, `offset ${committed} of no transaction`).toBeDefined();
    expect(["committed", "unknown"], `offset ${committed} from a ${owner.status} transaction`).toContain(
      owner.status,
    );
    if (owner.status === "unknown" && owner.values.length > 0)
      expect(seen.has(owner.values[0]!.value)).toBe(true);
    const latestCommitted = Math.max(
      0,
      ...txns
        .filter((t) => t.app === app && t.status === "committed" && t.offset !== null)
        .map((t) => t.offset!),
    );
    expect(committed).toBeGreaterThanOrEqual(latestCommitted);
  }
  // A fenced instance never appends again: no append of its values after the first fencing of
  // its transactional id that followed its own initialization (its own KIP-360 bumps aside).
  for (const inst of instances) {
    if (inst.readyAt < 0) continue;
    const fencedAt = events.findIndex(
      (e, i) => i > inst.readyAt && e.type === "fenced" && e.tid === `app-${inst.app}` && e.reason !== "bump",
    );
    if (fencedAt < 0) continue;
    for (let i = fencedAt + 1; i < events.length; i++) {
      const e = events[i]!;
      if (e.type !== "append") continue;
      const values = cluster
        .partition("out", e.partition!)
        .entries()
        .filter((x) => x.offset >= e.base! && x.offset < e.base! + e.count!)
        .map((x) => x.value as string);
      for (const v of values)
        expect(v.startsWith(`${inst.id}:`), `fenced instance ${inst.id} appended ${v}`).toBe(false);
    }
  }
  cluster.checkInvariants();
}

describe("transaction properties", () => {
  it.each(["v1", "v2"] as const)(
    "%s: no aborted or open record is ever read committed; commits are all-or-nothing; fenced producers never append; offsets only with their commit",
    async (protocol) => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb(protocol), { minLength: 5, maxLength: 40, size: "max" }), (ops) =>
          runSchedule(protocol, ops),
        ),
        { numRuns: 80 },
      );
    },
  );
});
