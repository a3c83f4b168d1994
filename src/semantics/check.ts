import { InvalidArgumentError } from "../scheduler/errors.js";
import { checkOptions } from "../scheduler/validate.js";
import { History } from "./history.js";
import { type Operation, POSITION_RESETS, validateOperations } from "./operation.js";
import { renderMarkdown, renderText } from "./render.js";

/**
 * The anomaly checker: a history and an expectation in, a verdict with evidence out, in one pass
 * over the history plus one over its messages (poll-skip looks up visible offsets in a set).
 *
 * Where it differs from Jepsen's total-queue checker: a message whose send *failed* yet was
 * processed is `unexpected` here (Jepsen counts it as "recovered"), because brokerlab records
 * `fail` only for definite refusals and `info` for every unknown outcome; a send whose transaction
 * aborted counts as failed, one whose transaction never ended as unknown.
 */

/** What must hold. */
export type Guarantee = "at-most-once" | "at-least-once" | "exactly-once";
/** Which order must hold. */
export type Ordering = "none" | "per-key" | "per-partition";
/** What counts as "processed". */
export type ProcessedBy = "effect" | "receive";

/** Every kind of anomaly the checker reports. */
export type AnomalyKind =
  | "lost"
  | "duplicate"
  | "unexpected"
  | "reordered"
  | "nonmonotonic-poll"
  | "poll-skip"
  | "aborted-read";

/** The kinds, in report order. */
export const ANOMALY_KINDS: readonly AnomalyKind[] = Object.freeze([
  "lost",
  "duplicate",
  "unexpected",
  "aborted-read",
  "reordered",
  "nonmonotonic-poll",
  "poll-skip",
]);

/** One anomaly and the operations that prove it, in time order. */
export interface Anomaly {
  readonly kind: AnomalyKind;
  /** The message id(s) involved. */
  readonly ids: readonly string[];
  /** True when the expectation forbids it (duplicates under at-least-once are reported, not violations). */
  readonly violation: boolean;
  /** One sentence saying what happened. */
  readonly message: string;
  readonly evidence: readonly Operation[];
}

/** Message counts. */
export interface CheckCounts {
  readonly operations: number;
  readonly messages: number;
  readonly sent: { readonly ok: number; readonly fail: number; readonly info: number };
  readonly processed: { readonly once: number; readonly moreThanOnce: number; readonly never: number };
  readonly unexpected: number;
}

/** Options of {@link check}. */
export interface CheckOptions {
  /** Default `at-least-once`. */
  guarantee?: Guarantee;
  /** Default `none`. */
  ordering?: Ordering;
  /** Default `effect` when the history holds effects, else `receive`. */
  processedBy?: ProcessedBy;
}

/** The verdict. */
export interface CheckResult {
  readonly valid: boolean;
  readonly guarantee: Guarantee;
  readonly ordering: Ordering;
  readonly processedBy: ProcessedBy;
  /** Every anomaly found, violations and reported-only ones, in report order. */
  readonly anomalies: readonly Anomaly[];
  readonly counts: CheckCounts;
  toText(): string;
  toMarkdown(): string;
}

const GUARANTEES: readonly Guarantee[] = ["at-most-once", "at-least-once", "exactly-once"];
const ORDERINGS: readonly Ordering[] = ["none", "per-key", "per-partition"];
const PROCESSED_BY: readonly ProcessedBy[] = ["effect", "receive"];

type Status = "ok" | "fail" | "info" | "none";

interface Message {
  id: string;
  sendInvoke: Operation | null;
  sendDone: Operation | null;
  completions: Operation[];
  status: Status;
  topic: string | undefined;
  partition: number | undefined;
  key: string | null | undefined;
  txn: string | undefined;
  processed: Operation[];
  /** Effects per name, to tell a duplicate from a handler with two effects. */
  perName: Map<string, number> | null;
  count: number;
  threshold: number;
  witness: Message | null;
}

const RANK: Record<Status, number> = { none: 0, fail: 1, info: 2, ok: 3 };

function message(map: Map<string, Message>, id: string): Message {
  let m = map.get(id);
  if (m === undefined) {
    m = {
      id,
      sendInvoke: null,
      sendDone: null,
      completions: [],
      status: "none",
      topic: undefined,
      partition: undefined,
      key: undefined,
      txn: undefined,
      processed: [],
      perName: null,
      count: 0,
      threshold: -1,
      witness: null,
    };
    map.set(id, m);
  }
  return m;
}

function byIndex(a: Operation, b: Operation): number {
  return a.index - b.index;
}

function evidenceOf(...lists: (readonly (Operation | null | undefined)[])[]): Operation[] {
  const seen = new Set<number>();
  const out: Operation[] = [];
  for (const list of lists)
    for (const op of list)
      if (op != null && !seen.has(op.index)) {
        seen.add(op.index);
        out.push(op);
      }
  return out.sort(byIndex);
}

/**
 * Checks a history against an expectation. Accepts a {@link History} or a plain array of
 * operations (validated first: `INVALID_HISTORY`, `UNMATCHED_COMPLETION`).
 *
 * @example
 * ```ts
 * const result = check(history, { guarantee: "exactly-once", ordering: "per-key" });
 * if (!result.valid) console.log(result.toText());
 * ```
 */
export function check(history: History | readonly Operation[], options: CheckOptions = {}): CheckResult {
  if (options === null || typeof options !== "object")
    throw new InvalidArgumentError("check: options must be an object.");
  checkOptions(options, ["guarantee", "ordering", "processedBy"], "check");
  const guarantee = options.guarantee ?? "at-least-once";
  const ordering = options.ordering ?? "none";
  if (!GUARANTEES.includes(guarantee)) {
    throw new InvalidArgumentError(
      `check: guarantee must be one of ${GUARANTEES.join(", ")}, got ${JSON.stringify(guarantee)}.`,
      "UNKNOWN_GUARANTEE",
    );
  }
  if (!ORDERINGS.includes(ordering)) {
    throw new InvalidArgumentError(
      `check: ordering must be one of ${ORDERINGS.join(", ")}, got ${JSON.stringify(ordering)}.`,
      "UNKNOWN_ORDERING",
    );
  }
  if (options.processedBy !== undefined && !PROCESSED_BY.includes(options.processedBy)) {
    throw new InvalidArgumentError(
      `check: processedBy must be "effect" or "receive", got ${JSON.stringify(options.processedBy)}.`,
      "INVALID_ARGUMENT",
    );
  }
  let ops: readonly Operation[];
  if (history instanceof History) ops = history.operations;
  else if (Array.isArray(history)) ops = validateOperations(history);
  else
    throw new InvalidArgumentError("check: expected a History or an array of operations.", "INVALID_HISTORY");

  // Pass 1: messages, transactions, processing.
  const messages = new Map<string, Message>();
  const txnOutcome = new Map<string, { outcome: "commit" | "abort" | "unknown"; op: Operation }>();
  const receives: Operation[] = [];
  const pollEvents: Operation[] = [];
  let hasEffects = false;
  for (const op of ops) {
    if (op.f === "effect") {
      hasEffects = true;
      break;
    }
  }
  const processedBy = options.processedBy ?? (hasEffects ? "effect" : "receive");
  for (const op of ops) {
    const v = op.value;
    switch (op.f) {
      case "send": {
        if (v.id === undefined) break;
        const m = message(messages, v.id);
        if (op.type === "invoke") {
          if (m.sendInvoke === null) m.sendInvoke = op;
        } else m.completions.push(op);
        if (v.topic !== undefined && m.topic === undefined) m.topic = v.topic;
        if (typeof v.partition === "number" && m.partition === undefined) m.partition = v.partition;
        if (v.key !== undefined && m.key === undefined) m.key = v.key;
        break;
      }
      case "txn": {
        const txn = v.txn;
        if (txn === undefined || op.type === "invoke") break;
        const action = v.action;
        if (action === "commit") {
          if (op.type === "ok") txnOutcome.set(txn, { outcome: "commit", op });
          else if (op.type === "fail") txnOutcome.set(txn, { outcome: "abort", op });
          else if (!txnOutcome.has(txn)) txnOutcome.set(txn, { outcome: "unknown", op });
        } else if (action === "abort" && op.type === "ok") {
          txnOutcome.set(txn, { outcome: "abort", op });
        }
        break;
      }
      case "receive":
        if (op.type !== "ok") break;
        receives.push(op);
        if (typeof v.offset === "number" && v.topic !== undefined && typeof v.partition === "number")
          pollEvents.push(op);
        if (processedBy === "receive" && v.id !== undefined) {
          const m = message(messages, v.id);
          m.processed.push(op);
          m.count++;
        }
        break;
      case "effect":
        if (op.type !== "ok" || processedBy !== "effect" || v.id === undefined) break;
        {
          const m = message(messages, v.id);
          m.processed.push(op);
          const name = typeof v.name === "string" ? v.name : "";
          if (m.perName === null) m.perName = new Map();
          const n = (m.perName.get(name) ?? 0) + 1;
          m.perName.set(name, n);
          if (n > m.count) m.count = n;
        }
        break;
      default:
        if (POSITION_RESETS.has(op.f) && op.type !== "invoke") pollEvents.push(op);
    }
  }

  // A message's status is its best send (a pipeline may send one id again, a producer may retry);
  // transactions decide what a send inside them means.
  const abortedAt = new Map<string, Operation>();
  const effective = (op: Operation): Status => {
    if (op.type !== "ok" || op.value.txn === undefined) return op.type as Status;
    const outcome = txnOutcome.get(op.value.txn)?.outcome;
    return outcome === "commit" ? "ok" : outcome === "abort" ? "fail" : "info";
  };
  for (const m of messages.values()) {
    let best: Status = m.sendInvoke === null ? "none" : "info";
    let bestOp: Operation | null = null;
    for (const op of m.completions) {
      const status = effective(op);
      if (op.type === "ok" && status === "fail" && typeof op.value.offset === "number") {
        abortedAt.set(`${op.value.topic}\u0000${op.value.partition}\u0000${op.value.offset}`, op);
      }
      if (bestOp === null || RANK[status] > RANK[best]) {
        best = status;
        bestOp = op;
      }
    }
    m.status = best;
    m.sendDone = bestOp;
    if (bestOp !== null) {
      m.txn = bestOp.value.txn;
      if (typeof bestOp.value.partition === "number") m.partition = bestOp.value.partition;
      if (bestOp.value.topic !== undefined) m.topic = bestOp.value.topic;
    }
  }

  const anomalies: Anomaly[] = [];
  const dupAllowed = guarantee === "at-least-once";
  const lossAllowed = guarantee === "at-most-once";
  let sentOk = 0;
  let sentFail = 0;
  let sentInfo = 0;
  let once = 0;
  let more = 0;
  let never = 0;
  let unexpectedCount = 0;
  for (const m of messages.values()) {
    if (m.status === "ok") sentOk++;
    else if (m.status === "fail") sentFail++;
    else if (m.status === "info") sentInfo++;
    if (m.status !== "none") {
      if (m.count === 0) never++;
      else if (m.count === 1) once++;
      else more++;
    }
    const sendOps = [m.sendInvoke, m.sendDone];
    if (m.status === "ok" && m.count === 0) {
      anomalies.push({
        kind: "lost",
        ids: [m.id],
        violation: !lossAllowed,
        message: `${m.id} was sent (ok) but never processed.`,
        evidence: evidenceOf(sendOps),
      });
    }
    if ((m.status === "fail" || m.status === "none") && m.count > 0) {
      unexpectedCount++;
      const why =
        m.status === "none"
          ? "never sent"
          : m.txn !== undefined && txnOutcome.get(m.txn)?.outcome === "abort"
            ? `sent in transaction ${m.txn}, which aborted`
            : "its send failed";
      anomalies.push({
        kind: "unexpected",
        ids: [m.id],
        violation: true,
        message: `${m.id} was processed but ${why}.`,
        evidence: evidenceOf(sendOps, m.txn !== undefined ? [txnOutcome.get(m.txn)?.op] : [], m.processed),
      });
    }
    if (m.count > 1) {
      anomalies.push({
        kind: "duplicate",
        ids: [m.id],
        violation: !dupAllowed,
        message: `${m.id} was processed ${m.count} times${m.status === "info" ? " (its send's outcome was unknown)" : ""}.`,
        evidence: evidenceOf(sendOps, m.processed),
      });
    }
  }

  // Aborted reads (G1a): a read_committed receive of a record whose transaction aborted.
  for (const op of receives) {
    const v = op.value;
    if (v.isolation !== "read_committed" || v.id === undefined) continue;
    const m = messages.get(v.id);
    if (m === undefined) continue;
    // The record read, by its coordinates; else the message when all its sends aborted.
    let send: Operation | null | undefined =
      typeof v.offset === "number"
        ? abortedAt.get(`${v.topic}\u0000${v.partition}\u0000${v.offset}`)
        : undefined;
    if (send === undefined && m.status === "fail" && m.sendDone?.value.txn !== undefined) send = m.sendDone;
    if (send == null) continue;
    const txn = send.value.txn!;
    const t = txnOutcome.get(txn);
    if (t?.outcome !== "abort") continue;
    anomalies.push({
      kind: "aborted-read",
      ids: [m.id],
      violation: true,
      message: `${op.process} (read_committed) received ${m.id} of transaction ${txn}, which aborted.`,
      evidence: evidenceOf([m.sendInvoke, send, t.op, op]),
    });
  }

  if (ordering !== "none") checkOrder(ops, messages, ordering, anomalies);
  checkPolls(pollEvents, messages, guarantee === "exactly-once" || ordering !== "none", anomalies);

  const rank = new Map(ANOMALY_KINDS.map((k, i) => [k, i]));
  anomalies.sort(
    (a, b) =>
      rank.get(a.kind)! - rank.get(b.kind)! || (a.evidence[0]?.index ?? 0) - (b.evidence[0]?.index ?? 0),
  );
  const counts: CheckCounts = {
    operations: ops.length,
    messages: messages.size,
    sent: { ok: sentOk, fail: sentFail, info: sentInfo },
    processed: { once, moreThanOnce: more, never },
    unexpected: unexpectedCount,
  };
  const valid = anomalies.every((a) => !a.violation);
  const result: CheckResult = {
    valid,
    guarantee,
    ordering,
    processedBy,
    anomalies,
    counts,
    toText: () => renderText(result),
    toMarkdown: () => renderMarkdown(result),
  };
  return result;
}

/**
 * Reordering: for each message B, the latest-processed message A of the same producer and key
 * (or partition) whose send completed before B's was invoked; B processed first is a violation.
 */
function checkOrder(
  ops: readonly Operation[],
  messages: Map<string, Message>,
  ordering: Ordering,
  anomalies: Anomaly[],
): void {
  const groups = new Map<string, { maxFirst: number; witness: Message | null }>();
  const groupOf = (m: Message, producer: string): string | null => {
    if (ordering === "per-key")
      return m.key == null ? null : `${producer}\u0000${m.topic ?? ""}\u0000${m.key}`;
    return m.partition === undefined ? null : `${producer}\u0000${m.topic ?? ""}\u0000${m.partition}`;
  };
  for (const op of ops) {
    if (op.f !== "send" || op.value.id === undefined) continue;
    const m = messages.get(op.value.id)!;
    if (m.count === 0 || m.status === "fail" || m.status === "none") continue;
    if (op !== m.sendInvoke && op !== m.sendDone) continue;
    const g = groupOf(m, op.process);
    if (g === null) continue;
    let group = groups.get(g);
    if (group === undefined) {
      group = { maxFirst: -1, witness: null };
      groups.set(g, group);
    }
    if (op === m.sendInvoke) {
      m.threshold = group.maxFirst;
      m.witness = group.witness;
    } else if (op.type === "ok") {
      const first = m.processed[0]!.index;
      if (first > group.maxFirst) {
        group.maxFirst = first;
        group.witness = m;
      }
    }
  }
  for (const b of messages.values()) {
    if (b.witness === null || b.count === 0) continue;
    const firstB = b.processed[0]!.index;
    if (b.threshold <= firstB) continue;
    const a = b.witness;
    anomalies.push({
      kind: "reordered",
      ids: [a.id, b.id],
      violation: true,
      message: `${a.id} was sent before ${b.id} (same producer, ${ordering === "per-key" ? `key ${String(b.key)}` : `partition ${b.topic}/${b.partition}`}) but processed after it.`,
      evidence: evidenceOf([a.sendDone, b.sendInvoke, b.processed[0], a.processed[0]]),
    });
  }
}

/** Per consumer and partition: receives must not go back, nor jump over visible records. */
function checkPolls(
  events: readonly Operation[],
  messages: Map<string, Message>,
  violation: boolean,
  anomalies: Anomaly[],
): void {
  // (topic, partition) → a small slot number, so the hot loop indexes arrays instead of joining strings.
  const slotsByTopic = new Map<string, Map<number, number>>();
  const visible: Set<number>[] = [];
  const slotOf = (topic: string, partition: number): number => {
    let byPartition = slotsByTopic.get(topic);
    if (byPartition === undefined) slotsByTopic.set(topic, (byPartition = new Map()));
    let slot = byPartition.get(partition);
    if (slot === undefined) {
      slot = visible.length;
      byPartition.set(partition, slot);
      visible.push(new Set());
    }
    return slot;
  };
  for (const m of messages.values())
    if (m.status === "ok" && m.sendDone !== null && m.topic !== undefined && m.partition !== undefined) {
      const o = m.sendDone.value.offset;
      if (typeof o === "number") visible[slotOf(m.topic, m.partition)]!.add(o);
    }
  const slots = new Int32Array(events.length);
  for (let i = 0; i < events.length; i++) {
    const op = events[i]!;
    if (op.f !== "receive") continue;
    const slot = slotOf(op.value.topic!, op.value.partition!);
    slots[i] = slot;
    visible[slot]!.add(op.value.offset!);
  }
  const sorted: (number[] | undefined)[] = [];
  const anyBetween = (slot: number, low: number, high: number): number | null => {
    const set = visible[slot]!;
    if (high - low <= 256) {
      for (let o = low + 1; o < high; o++) if (set.has(o)) return o;
      return null;
    }
    let arr = sorted[slot];
    if (arr === undefined) sorted[slot] = arr = [...set].sort((a, b) => a - b);
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (arr[mid]! <= low) lo = mid + 1;
      else hi = mid;
    }
    return lo < arr.length && arr[lo]! < high ? arr[lo]! : null;
  };
  const last = new Map<string, (Operation | undefined)[]>();
  const idsOf = (a: Operation, b: Operation) =>
    [a.value.id, b.value.id].filter((x): x is string => x !== undefined);
  for (let i = 0; i < events.length; i++) {
    const op = events[i]!;
    if (op.f !== "receive") {
      last.delete(op.process);
      continue;
    }
    const slot = slots[i]!;
    const offset = op.value.offset!;
    let mine = last.get(op.process);
    if (mine === undefined) last.set(op.process, (mine = []));
    const prev = mine[slot];
    mine[slot] = op;
    if (prev === undefined) continue;
    const before = prev.value.offset as number;
    if (offset === before + 1) continue;
    const { topic, partition } = op.value;
    if (offset <= before) {
      anomalies.push({
        kind: "nonmonotonic-poll",
        ids: idsOf(prev, op),
        violation,
        message: `${op.process} received ${topic}/${partition} offset ${offset} after offset ${before}, with no rebalance, seek or restart between.`,
        evidence: [prev, op],
      });
    } else {
      const skipped = anyBetween(slot, before, offset);
      if (skipped !== null) {
        anomalies.push({
          kind: "poll-skip",
          ids: idsOf(prev, op),
          violation,
          message: `${op.process} jumped from ${topic}/${partition} offset ${before} to ${offset}, over visible offset ${skipped}.`,
          evidence: [prev, op],
        });
      }
    }
  }
}
