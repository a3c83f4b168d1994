/**
 * The optimized checker against a straightforward reference: for randomly generated histories
 * (sends that complete ok / fail / info or stay open, inside transactions that commit, abort or
 * never end; receives with and without coordinates, read_committed or not; effects under one or
 * two names; rebalances, seeks, restarts and crashes), under every guarantee, ordering and
 * processedBy, `check` must give exactly the reference's verdict, anomalies (kind, ids, message,
 * evidence, in order), counts and text.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Anomaly,
  type AnomalyKind,
  type CheckCounts,
  check,
  type Guarantee,
  type Ordering,
  type ProcessedBy,
} from "../../src/semantics/check.js";
import { History } from "../../src/semantics/history.js";
import type { Operation, OperationType, OperationValue } from "../../src/semantics/operation.js";

// ---------------------------------------------------------------------------------------------
// The reference: the checker's rules written out plainly — objects per message, string keys,
// sorting and scanning where convenient. Quadratic in places; only for small histories.

interface RefMessage {
  id: string;
  sendInvoke: Operation | null;
  completions: Operation[];
  sendDone: Operation | null;
  status: "none" | "fail" | "info" | "ok";
  topic: unknown;
  partition: number | undefined;
  key: unknown;
  processed: Operation[];
  count: number;
}

const REPORT_ORDER: AnomalyKind[] = [
  "lost",
  "duplicate",
  "unexpected",
  "aborted-read",
  "reordered",
  "nonmonotonic-poll",
  "poll-skip",
];
const RESETS = ["rebalance", "seek", "restart", "crash"];
const RANK = { none: 0, fail: 1, info: 2, ok: 3 } as const;

function evidence(...ops: (Operation | null | undefined)[]): Operation[] {
  const byIndex = new Map<number, Operation>();
  for (const op of ops) if (op != null) byIndex.set(op.index, op);
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

function reference(
  ops: readonly Operation[],
  guarantee: Guarantee,
  ordering: Ordering,
  processedByOption: ProcessedBy | undefined,
): { valid: boolean; processedBy: ProcessedBy; anomalies: Anomaly[]; counts: CheckCounts } {
  const processedBy = processedByOption ?? (ops.some((op) => op.f === "effect") ? "effect" : "receive");
  const messages = new Map<string, RefMessage>();
  const get = (id: string): RefMessage => {
    if (!messages.has(id)) {
      messages.set(id, {
        id,
        sendInvoke: null,
        completions: [],
        sendDone: null,
        status: "none",
        topic: undefined,
        partition: undefined,
        key: undefined,
        processed: [],
        count: 0,
      });
    }
    return messages.get(id)!;
  };
  // The operation deciding each transaction.
  const txnDecision = new Map<unknown, Operation>();
  for (const op of ops) {
    const v = op.value;
    if (op.f === "send" && v.id !== undefined) {
      const m = get(v.id);
      if (op.type === "invoke") m.sendInvoke ??= op;
      else m.completions.push(op);
      if (m.topic === undefined && v.topic !== undefined) m.topic = v.topic;
      if (m.partition === undefined && typeof v.partition === "number") m.partition = v.partition;
      if (m.key === undefined && v.key !== undefined) m.key = v.key;
    } else if (op.f === "receive" && op.type === "ok" && processedBy === "receive" && v.id !== undefined) {
      get(v.id).processed.push(op);
    } else if (op.f === "effect" && op.type === "ok" && processedBy === "effect" && v.id !== undefined) {
      get(v.id).processed.push(op);
    } else if (op.f === "txn" && op.type !== "invoke" && v.txn !== undefined) {
      if (v.action === "commit" && (op.type !== "info" || !txnDecision.has(v.txn)))
        txnDecision.set(v.txn, op);
      if (v.action === "abort" && op.type === "ok") txnDecision.set(v.txn, op);
    }
  }
  const outcome = (txn: unknown) => {
    const op = txnDecision.get(txn);
    if (op === undefined) return undefined;
    if (op.value.action === "abort") return "abort";
    return op.type === "ok" ? "commit" : op.type === "fail" ? "abort" : "unknown";
  };
  const meaning = (op: Operation): RefMessage["status"] => {
    if (op.type !== "ok") return op.type as "fail" | "info";
    if (op.value.txn === undefined) return "ok";
    const o = outcome(op.value.txn);
    return o === "commit" ? "ok" : o === "abort" ? "fail" : "info";
  };
  const abortedRecords: [string, Operation][] = [];
  for (const m of messages.values()) {
    // Count: receives each count; effects count per name, the most-repeated name wins.
    if (processedBy === "receive") m.count = m.processed.length;
    else {
      const perName = new Map<string, number>();
      for (const op of m.processed) {
        const name = typeof op.value.name === "string" ? op.value.name : "";
        perName.set(name, (perName.get(name) ?? 0) + 1);
      }
      m.count = Math.max(0, ...perName.values());
    }
    m.status = m.sendInvoke === null ? "none" : "info";
    for (const op of m.completions) {
      const s = meaning(op);
      if (op.type === "ok" && s === "fail" && typeof op.value.offset === "number")
        abortedRecords.push([`${op.value.topic}|${op.value.partition}|${op.value.offset}`, op]);
      if (m.sendDone === null || RANK[s] > RANK[m.status]) {
        m.status = s;
        m.sendDone = op;
      }
    }
    if (m.sendDone !== null) {
      if (typeof m.sendDone.value.partition === "number") m.partition = m.sendDone.value.partition;
      if (m.sendDone.value.topic !== undefined) m.topic = m.sendDone.value.topic;
    }
  }
  const abortedAt = (key: string) => abortedRecords.filter(([k]) => k === key).at(-1)?.[1];

  const anomalies: Anomaly[] = [];
  const counts = {
    operations: ops.length,
    messages: messages.size,
    sent: { ok: 0, fail: 0, info: 0 },
    processed: { once: 0, moreThanOnce: 0, never: 0 },
    unexpected: 0,
  };
  for (const m of messages.values()) {
    if (m.status !== "none") {
      counts.sent[m.status]++;
      if (m.count === 0) counts.processed.never++;
      else if (m.count === 1) counts.processed.once++;
      else counts.processed.moreThanOnce++;
    }
    const txn = m.sendDone?.value.txn;
    if (m.status === "ok" && m.count === 0) {
      anomalies.push({
        kind: "lost",
        ids: [m.id],
        violation: guarantee !== "at-most-once",
        message: `${m.id} was sent (ok) but never processed.`,
        evidence: evidence(m.sendInvoke, m.sendDone),
      });
    }
    if ((m.status === "fail" || m.status === "none") && m.count > 0) {
      counts.unexpected++;
      let why = "its send failed";
      if (m.status === "none") why = "never sent";
      else if (txn !== undefined && outcome(txn) === "abort")
        why = `sent in transaction ${txn}, which aborted`;
      anomalies.push({
        kind: "unexpected",
        ids: [m.id],
        violation: true,
        message: `${m.id} was processed but ${why}.`,
        evidence: evidence(
          m.sendInvoke,
          m.sendDone,
          txn === undefined ? null : txnDecision.get(txn),
          ...m.processed,
        ),
      });
    }
    if (m.count > 1) {
      anomalies.push({
        kind: "duplicate",
        ids: [m.id],
        violation: guarantee !== "at-least-once",
        message: `${m.id} was processed ${m.count} times${m.status === "info" ? " (its send's outcome was unknown)" : ""}.`,
        evidence: evidence(m.sendInvoke, m.sendDone, ...m.processed),
      });
    }
  }

  if (txnDecision.size > 0) {
    for (const op of ops) {
      const v = op.value;
      if (op.f !== "receive" || op.type !== "ok" || v.isolation !== "read_committed" || v.id === undefined)
        continue;
      const m = messages.get(v.id);
      if (m === undefined) continue;
      let send =
        typeof v.offset === "number" ? abortedAt(`${v.topic}|${v.partition}|${v.offset}`) : undefined;
      if (send === undefined && m.status === "fail" && m.sendDone?.value.txn !== undefined) send = m.sendDone;
      if (send === undefined || outcome(send.value.txn) !== "abort") continue;
      anomalies.push({
        kind: "aborted-read",
        ids: [m.id],
        violation: true,
        message: `${op.process} (read_committed) received ${m.id} of transaction ${send.value.txn}, which aborted.`,
        evidence: evidence(m.sendInvoke, send, txnDecision.get(send.value.txn), op),
      });
    }
  }

  if (ordering !== "none") {
    // Walk the sends in order; a group's witness is the message with the latest first processing
    // among those whose send completed ok so far.
    const groups = new Map<string, { latest: number; witness: RefMessage | null }>();
    const seenAtInvoke = new Map<RefMessage, { latest: number; witness: RefMessage | null }>();
    for (const op of ops) {
      if (op.f !== "send" || op.value.id === undefined) continue;
      const m = messages.get(op.value.id)!;
      if (m.count === 0 || m.status === "fail" || m.status === "none") continue;
      if (op !== m.sendInvoke && op !== m.sendDone) continue;
      const sub = ordering === "per-key" ? m.key : m.partition;
      if (sub === undefined || sub === null) continue;
      const group = `${op.process}\u0000${m.topic ?? ""}\u0000${sub}`;
      const g = groups.get(group) ?? { latest: -1, witness: null };
      groups.set(group, g);
      if (op === m.sendInvoke) seenAtInvoke.set(m, { ...g });
      else if (op.type === "ok" && m.processed[0]!.index > g.latest) {
        g.latest = m.processed[0]!.index;
        g.witness = m;
      }
    }
    for (const b of messages.values()) {
      const seen = seenAtInvoke.get(b);
      if (seen === undefined || seen.witness === null || b.count === 0) continue;
      if (seen.latest <= b.processed[0]!.index) continue;
      const a = seen.witness;
      anomalies.push({
        kind: "reordered",
        ids: [a.id, b.id],
        violation: true,
        message: `${a.id} was sent before ${b.id} (same producer, ${ordering === "per-key" ? `key ${String(b.key)}` : `partition ${b.topic}/${b.partition}`}) but processed after it.`,
        evidence: evidence(a.sendDone, b.sendInvoke, b.processed[0], a.processed[0]),
      });
    }
  }

  // Polls: visible offsets per (topic, partition), then each consumer's successive receives.
  const positioned = (op: Operation) =>
    op.f === "receive" &&
    op.type === "ok" &&
    typeof op.value.offset === "number" &&
    op.value.topic !== undefined &&
    typeof op.value.partition === "number";
  const visible: { topic: unknown; partition: number; offset: number }[] = [];
  for (const m of messages.values()) {
    const o = m.sendDone?.value.offset;
    if (m.status === "ok" && m.topic !== undefined && m.partition !== undefined && typeof o === "number")
      visible.push({ topic: m.topic, partition: m.partition, offset: o });
  }
  for (const op of ops)
    if (positioned(op))
      visible.push({ topic: op.value.topic, partition: op.value.partition!, offset: op.value.offset! });
  const pollViolation = guarantee === "exactly-once" || ordering !== "none";
  const last = new Map<string, Operation[]>();
  for (const op of ops) {
    if (RESETS.includes(op.f) && op.type !== "invoke") {
      last.delete(op.process);
      continue;
    }
    if (!positioned(op)) continue;
    const mine = last.get(op.process) ?? [];
    last.set(op.process, mine);
    const i = mine.findIndex(
      (p) => p.value.topic === op.value.topic && p.value.partition === op.value.partition,
    );
    const prev = i < 0 ? undefined : mine[i];
    if (i < 0) mine.push(op);
    else mine[i] = op;
    if (prev === undefined) continue;
    const before = prev.value.offset!;
    const offset = op.value.offset!;
    const { topic, partition } = op.value;
    const ids = [prev.value.id, op.value.id].filter((x): x is string => x !== undefined);
    if (offset === before + 1) continue;
    if (offset <= before) {
      anomalies.push({
        kind: "nonmonotonic-poll",
        ids,
        violation: pollViolation,
        message: `${op.process} received ${topic}/${partition} offset ${offset} after offset ${before}, with no rebalance, seek or restart between.`,
        evidence: [prev, op],
      });
      continue;
    }
    const between = visible
      .filter((x) => x.topic === topic && x.partition === partition && x.offset > before && x.offset < offset)
      .map((x) => x.offset);
    if (between.length > 0) {
      anomalies.push({
        kind: "poll-skip",
        ids,
        violation: pollViolation,
        message: `${op.process} jumped from ${topic}/${partition} offset ${before} to ${offset}, over visible offset ${Math.min(...between)}.`,
        evidence: [prev, op],
      });
    }
  }

  anomalies.sort(
    (a, b) =>
      REPORT_ORDER.indexOf(a.kind) - REPORT_ORDER.indexOf(b.kind) ||
      (a.evidence[0]?.index ?? 0) - (b.evidence[0]?.index ?? 0),
  );
  return { valid: anomalies.every((a) => !a.violation), processedBy, anomalies, counts };
}

// ---------------------------------------------------------------------------------------------
// Random histories. Each step invokes something (a send, a receive, an effect, a transaction's
// end, a position reset) or completes an invocation still open, so every history is well-formed.

const IDS = ["m0", "m1", "m2", "m3", "m4", "m5"];
const TOPICS = ["t0", "t1"];
const TXNS = ["x0", "x1"];

type Step =
  | {
      kind: "send";
      process: string;
      id: string;
      topic: string;
      key: string | null | undefined;
      pair: boolean;
    }
  | {
      kind: "complete";
      pick: number;
      type: OperationType;
      partition: number;
      offset: number;
      txn: string | undefined;
    }
  | {
      kind: "receive";
      process: string;
      id: string | undefined;
      topic: string;
      partition: number;
      offset: number;
      committed: boolean;
    }
  | { kind: "effect"; process: string; id: string; name: string; type: OperationType }
  | { kind: "txn"; process: string; txn: string; action: "commit" | "abort"; type: OperationType }
  | { kind: "reset"; process: string; f: string };

const completionType = fc.constantFrom<OperationType>("ok", "ok", "ok", "fail", "info");
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("send" as const),
      process: fc.constantFrom("p0", "p1"),
      id: fc.constantFrom(...IDS),
      topic: fc.constantFrom(...TOPICS),
      key: fc.constantFrom<string | null | undefined>("k0", "k1", "k0", null, undefined),
      pair: fc.constantFrom(true, false, false),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("complete" as const),
      pick: fc.nat(),
      type: completionType,
      partition: fc.integer({ min: 0, max: 1 }),
      offset: fc.integer({ min: 0, max: 7 }),
      txn: fc.constantFrom<string | undefined>(undefined, ...TXNS),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("receive" as const),
      process: fc.constantFrom("c0", "c1"),
      id: fc.constantFrom<string | undefined>(...IDS, undefined),
      topic: fc.constantFrom(...TOPICS),
      partition: fc.integer({ min: -1, max: 1 }),
      offset: fc.integer({ min: 0, max: 7 }),
      committed: fc.boolean(),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("effect" as const),
      process: fc.constantFrom("c0", "c1"),
      id: fc.constantFrom(...IDS),
      name: fc.constantFrom("process", "process", "email"),
      type: fc.constantFrom<OperationType>("ok", "ok", "ok", "fail"),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("txn" as const),
      process: fc.constantFrom("p0", "p1"),
      txn: fc.constantFrom(...TXNS),
      action: fc.constantFrom<"commit" | "abort">("commit", "abort"),
      type: completionType,
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("reset" as const),
      process: fc.constantFrom("c0", "c1"),
      f: fc.constantFrom(...RESETS, "ack", "commit"),
    }),
    weight: 1,
  },
);

function build(steps: readonly Step[]): Operation[] {
  const ops: Operation[] = [];
  const open: { process: string; value: OperationValue }[] = [];
  const add = (process: string, type: OperationType, f: string, value: OperationValue) =>
    ops.push({ index: ops.length, time: ops.length, process, type, f, value });
  for (const s of steps) {
    switch (s.kind) {
      case "send": {
        const value: OperationValue = { id: s.id, topic: s.topic };
        if (s.key !== undefined) value.key = s.key;
        add(s.process, "invoke", "send", value);
        if (s.pair) add(s.process, "ok", "send", { ...value });
        else open.push({ process: s.process, value });
        break;
      }
      case "complete": {
        if (open.length === 0) break;
        const [pending] = open.splice(s.pick % open.length, 1);
        const value: OperationValue = { ...pending!.value };
        if (s.type !== "fail") {
          value.partition = s.partition;
          value.offset = s.offset;
        }
        if (s.txn !== undefined) value.txn = s.txn;
        add(pending!.process, s.type, "send", value);
        break;
      }
      case "receive": {
        const value: OperationValue = { topic: s.topic, offset: s.offset };
        if (s.id !== undefined) value.id = s.id;
        if (s.partition >= 0) value.partition = s.partition;
        if (s.committed) value.isolation = "read_committed";
        add(s.process, "invoke", "receive", value);
        add(s.process, "ok", "receive", value);
        break;
      }
      case "effect":
        add(s.process, "invoke", "effect", { id: s.id, name: s.name });
        add(s.process, s.type, "effect", { id: s.id, name: s.name });
        break;
      case "txn":
        add(s.process, "invoke", "txn", { txn: s.txn, action: s.action });
        add(s.process, s.type, "txn", { txn: s.txn, action: s.action });
        break;
      case "reset":
        add(s.process, "invoke", s.f, {});
        add(s.process, "ok", s.f, {});
        break;
    }
  }
  return ops;
}

const history = fc.array(step, { minLength: 0, maxLength: 60, size: "medium" }).map(build);
const GUARANTEES: Guarantee[] = ["at-most-once", "at-least-once", "exactly-once"];
const ORDERINGS: Ordering[] = ["none", "per-key", "per-partition"];
const PROCESSED: (ProcessedBy | undefined)[] = [undefined, "effect", "receive"];

describe("check (optimized) agrees with the reference checker", () => {
  it("property: same verdict, anomalies, evidence, counts and text on random histories", () => {
    fc.assert(
      fc.property(
        history,
        fc.constantFrom(...GUARANTEES),
        fc.constantFrom(...ORDERINGS),
        fc.constantFrom(...PROCESSED),
        (ops, guarantee, ordering, processedBy) => {
          const options =
            processedBy === undefined ? { guarantee, ordering } : { guarantee, ordering, processedBy };
          const fast = check(ops, options);
          const ref = reference(ops, guarantee, ordering, processedBy);
          expect(fast.processedBy).toBe(ref.processedBy);
          expect(fast.anomalies).toEqual(ref.anomalies);
          expect(fast.counts).toEqual(ref.counts);
          expect(fast.valid).toBe(ref.valid);
          // The same through a History (no re-validation), and the renderings.
          const again = check(History.fromJSON(ops), options);
          expect(again.anomalies).toEqual(fast.anomalies);
          expect(again.toText()).toBe(fast.toText());
          expect(again.toMarkdown()).toBe(fast.toMarkdown());
        },
      ),
      { numRuns: 1500, seed: 9 },
    );
  });

  it("the generated histories exercise every anomaly kind under every guarantee and ordering", () => {
    const seen = new Set<string>();
    for (const ops of fc.sample(history, { numRuns: 1000, seed: 11 })) {
      for (const guarantee of GUARANTEES)
        for (const ordering of ORDERINGS) {
          const r = reference(ops, guarantee, ordering, undefined);
          for (const a of r.anomalies) seen.add(a.kind);
          seen.add(`${guarantee}/${ordering}/${r.valid ? "valid" : "invalid"}`);
        }
    }
    for (const kind of REPORT_ORDER) expect(seen).toContain(kind);
    for (const guarantee of GUARANTEES)
      for (const ordering of ORDERINGS) {
        expect(seen).toContain(`${guarantee}/${ordering}/valid`);
        expect(seen).toContain(`${guarantee}/${ordering}/invalid`);
      }
  });
});
