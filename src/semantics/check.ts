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

// Statuses, as their rank: a message's status is its best send.
const NONE = 0;
const FAIL = 1;
const INFO = 2;
const OK = 3;

/** Report order of each kind. */
const KIND_RANK: Readonly<Record<AnomalyKind, number>> = {
  lost: 0,
  duplicate: 1,
  unexpected: 2,
  "aborted-read": 3,
  reordered: 4,
  "nonmonotonic-poll": 5,
  "poll-skip": 6,
};

// The int32 fields of a message's record (16 per message, one cache line). Operations are named
// by their position in the history; -1 is none.
/** The operation whose `value.id` is the message's id. */
const ID_AT = 0;
/** Its first send invoke. */
const INVOKE = 1;
/** Its best send completion so far (final after `settle`). */
const DONE = 2;
/** The status of `DONE` (after `settle`: the message's status) in the low bits, and flags. */
const STATE = 3;
/** Its send completions, a list: the first inline, the rest `links` nodes (head node, tail node). */
const COMPLETIONS = 4;
/** Its processing operations (receives or effects), a list like `COMPLETIONS`. */
const PROCESSED = 7;
const COUNT = 10;
/** Its first effect, whose name is counted inline (further names go to a map). */
const NAME_AT = 11;
const NAME_COUNT = 12;
/** The sends whose value gives its topic, partition and key (after `settle`). */
const TOPIC_AT = 13;
const PARTITION_AT = 14;
const KEY_AT = 15;
const STRIDE = 16;

const STATUS_MASK = 3;
/** Flag: an ok completion inside a transaction (its status is known only at the end). */
const IN_TXN = 4;
/** Flag: the `DONE` completion is an `ok`. */
const DONE_OK = 8;
/** Flags: the `DONE` completion names a topic, a partition (which win over the first ones). */
const DONE_TOPIC = 16;
const DONE_PARTITION = 32;

/** A growable list of int32s. */
class IntList {
  data: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Int32Array(Math.max(16, capacity));
  }
  push(x: number): void {
    if (this.length === this.data.length) this.grow();
    this.data[this.length++] = x;
  }
  push3(x: number, y: number, z: number): void {
    if (this.length + 3 > this.data.length) this.grow();
    const data = this.data;
    const n = this.length;
    data[n] = x;
    data[n + 1] = y;
    data[n + 2] = z;
    this.length = n + 3;
  }
  private grow(): void {
    const grown = new Int32Array(this.data.length * 2);
    grown.set(this.data);
    this.data = grown;
  }
}

/** A growable list of numbers (offsets, which hand-written histories may make fractional). */
class NumberList {
  data: Float64Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Float64Array(Math.max(16, capacity));
  }
  push(x: number): void {
    if (this.length === this.data.length) this.grow();
    this.data[this.length++] = x;
  }
  private grow(): void {
    const grown = new Float64Array(this.data.length * 2);
    grown.set(this.data);
    this.data = grown;
  }
}

function effectName(op: Operation): string {
  const name = op.value.name;
  return typeof name === "string" ? name : "";
}

/**
 * Everything the checker knows about the history, gathered in one pass: an int32 record per
 * message (interned in order of first appearance) holding operation positions, status, flags and
 * counts (its topic, partition and key are read back from the operations named); two lists per message (its send
 * completions, its processing operations, each in history order) whose first entry is inline and
 * whose further entries are nodes of one shared `links` pool; and the poll checker's events with
 * their slot and offset. Nothing is allocated per operation, later passes read no operation
 * except to build the evidence of an anomaly.
 */
class Tables {
  readonly ops: readonly Operation[];
  /** Message number by id. */
  readonly byId = new Map<string, number>();
  size = 0;
  /** The message records, `STRIDE` int32s each. */
  rec: Int32Array;
  /** List nodes, two int32s each: an operation position and the next node (-1: none). */
  readonly links = new IntList(64);
  /** Effects of one message under names other than its first, by message number. */
  readonly otherNames = new Map<number, Map<string, number>>();
  /** Transaction → position of the operation deciding its outcome. */
  readonly txnAt = new Map<unknown, number>();
  /** `topic\0partition\0offset` → position of an ok send whose transaction aborted. */
  readonly abortedAt = new Map<string, number>();
  /** Messages with an ok send inside a transaction. */
  readonly inTxn = new IntList(16);
  /** With an ordering to check: the sends with an id, in history order (position, message, process). */
  readonly sends: IntList;
  /** Positions of ok receives with an id by a read_committed consumer. */
  readonly committedReads = new IntList(16);
  /**
   * The poll checker's events (positioned ok receives and position resets): position, process and
   * slot (-1 for a reset), and the offset apart.
   */
  readonly polls: IntList;
  readonly pollOffset: NumberList;
  /** (topic, partition) → slot. */
  readonly slotsByTopic = new Map<unknown, Map<number, number>>();
  slots = 0;
  private slotTopic: unknown = undefined;
  private slotPartition = Number.NaN;
  private slotLast = -1;
  readonly processIds = new Map<string, number>();
  readonly processNames: string[] = [];
  private lastProcess: string | null = null;
  private lastProcessId = -1;
  private lastId: string | null = null;
  private lastMessage = -1;

  constructor(ops: readonly Operation[]) {
    this.ops = ops;
    const n = Math.min(ops.length, 1 << 14);
    this.rec = new Int32Array(STRIDE * Math.max(16, n >> 2));
    this.sends = new IntList(n);
    this.polls = new IntList(n >> 1);
    this.pollOffset = new NumberList(n >> 3);
  }

  /** The message number of `id` (seen at position `at`), created when new. */
  message(id: string, at: number): number {
    if (id === this.lastId) return this.lastMessage;
    let m = this.byId.get(id);
    if (m === undefined) {
      m = this.size++;
      this.byId.set(id, m);
      let rec = this.rec;
      if (m * STRIDE === rec.length) {
        const grown = new Int32Array(rec.length * 2);
        grown.set(rec);
        this.rec = rec = grown;
      }
      const b = m * STRIDE;
      rec.fill(-1, b, b + STRIDE);
      rec[b + ID_AT] = at;
      rec[b + STATE] = NONE;
      rec[b + COUNT] = 0;
      rec[b + NAME_COUNT] = 0;
    }
    this.lastId = id;
    this.lastMessage = m;
    return m;
  }

  process(name: string): number {
    if (name === this.lastProcess) return this.lastProcessId;
    let p = this.processIds.get(name);
    if (p === undefined) {
      p = this.processNames.length;
      this.processIds.set(name, p);
      this.processNames.push(name);
    }
    this.lastProcess = name;
    this.lastProcessId = p;
    return p;
  }

  slot(topic: unknown, partition: number): number {
    if (topic === this.slotTopic && partition === this.slotPartition) return this.slotLast;
    let byPartition = this.slotsByTopic.get(topic);
    if (byPartition === undefined) this.slotsByTopic.set(topic, (byPartition = new Map()));
    let slot = byPartition.get(partition);
    if (slot === undefined) byPartition.set(partition, (slot = this.slots++));
    this.slotTopic = topic;
    this.slotPartition = partition;
    this.slotLast = slot;
    return slot;
  }

  /** Appends position `at` to the list at field `list` (COMPLETIONS or PROCESSED) of `m`. */
  append(m: number, list: number, at: number): void {
    const rec = this.rec;
    const b = m * STRIDE + list;
    if (rec[b]! < 0) {
      rec[b] = at;
      return;
    }
    const links = this.links;
    const node = links.length >> 1;
    links.push(at);
    links.push(-1);
    const tail = rec[b + 2]!;
    if (tail < 0) rec[b + 1] = node;
    else links.data[2 * tail + 1] = node;
    rec[b + 2] = node;
  }

  /** The positions in the list at field `list` of `m`, in order. */
  list(m: number, list: number): number[] {
    const b = m * STRIDE + list;
    const out: number[] = [];
    if (this.rec[b]! < 0) return out;
    out.push(this.rec[b]!);
    const links = this.links.data;
    for (let node = this.rec[b + 1]!; node >= 0; node = links[2 * node + 1]!) out.push(links[2 * node]!);
    return out;
  }

  get(m: number, field: number): number {
    return this.rec[m * STRIDE + field]!;
  }

  status(m: number): number {
    return this.rec[m * STRIDE + STATE]! & STATUS_MASK;
  }

  id(m: number): string {
    return this.ops[this.rec[m * STRIDE + ID_AT]!]!.value.id!;
  }

  topic(m: number): string | undefined {
    const at = this.rec[m * STRIDE + TOPIC_AT]!;
    return at < 0 ? undefined : this.ops[at]!.value.topic;
  }

  partition(m: number): number | undefined {
    const at = this.rec[m * STRIDE + PARTITION_AT]!;
    return at < 0 ? undefined : this.ops[at]!.value.partition;
  }

  key(m: number): string | null | undefined {
    const at = this.rec[m * STRIDE + KEY_AT]!;
    return at < 0 ? undefined : this.ops[at]!.value.key;
  }

  /** The transaction of the message's best send. */
  txn(m: number): string | undefined {
    const done = this.rec[m * STRIDE + DONE]!;
    return done < 0 ? undefined : this.ops[done]!.value.txn;
  }

  /** The outcome of a transaction: commit, abort, unknown (ended without a verdict) or none. */
  outcome(txn: unknown): "commit" | "abort" | "unknown" | undefined {
    const at = this.txnAt.get(txn);
    if (at === undefined) return undefined;
    const op = this.ops[at]!;
    if (op.value.action !== "commit") return "abort";
    return op.type === "ok" ? "commit" : op.type === "fail" ? "abort" : "unknown";
  }

  /** What a send completion means, its transaction considered. */
  effective(op: Operation): number {
    if (op.type !== "ok") return op.type === "fail" ? FAIL : INFO;
    const txn = op.value.txn;
    if (txn === undefined) return OK;
    const outcome = this.outcome(txn);
    return outcome === "commit" ? OK : outcome === "abort" ? FAIL : INFO;
  }

  /**
   * A message's status is its best send (a pipeline may send one id again, a producer may retry);
   * transactions decide what a send inside them means, so messages with a send inside one are
   * settled again here, now that every transaction's outcome is known.
   */
  settle(): void {
    const { ops, rec } = this;
    const links = this.links.data;
    for (let k = 0; k < this.inTxn.length; k++) {
      const m = this.inTxn.data[k]!;
      const b = m * STRIDE;
      let best = NONE;
      let bestAt = -1;
      let node = rec[b + COMPLETIONS + 1]!;
      for (let c = rec[b + COMPLETIONS]!; c >= 0; ) {
        const op = ops[c]!;
        const status = this.effective(op);
        if (status === FAIL && op.type === "ok" && typeof op.value.offset === "number") {
          this.abortedAt.set(`${op.value.topic}\u0000${op.value.partition}\u0000${op.value.offset}`, c);
        }
        if (bestAt < 0 || status > best) {
          best = status;
          bestAt = c;
        }
        if (node < 0) break;
        c = links[2 * node]!;
        node = links[2 * node + 1]!;
      }
      const done = ops[bestAt]!;
      rec[b + DONE] = bestAt;
      rec[b + STATE] = doneState(rec[b + STATE]!, best, done);
    }
    for (let m = 0; m < this.size; m++) {
      const b = m * STRIDE;
      const state = rec[b + STATE]!;
      if (rec[b + DONE]! < 0) rec[b + STATE] = rec[b + INVOKE]! < 0 ? NONE : INFO;
      else {
        if ((state & DONE_TOPIC) !== 0) rec[b + TOPIC_AT] = rec[b + DONE]!;
        if ((state & DONE_PARTITION) !== 0) rec[b + PARTITION_AT] = rec[b + DONE]!;
      }
    }
  }

  /**
   * The operations at `positions` (-1 = none) and, when `m` is given, those of its processed list,
   * without repeats, in history order. `positions` is small; the list is in order already.
   */
  evidence(positions: number[], m = -1): Operation[] {
    const list = m < 0 ? [] : this.list(m, PROCESSED);
    for (let i = 1; i < positions.length; i++) {
      const x = positions[i]!;
      let j = i - 1;
      while (j >= 0 && positions[j]! > x) {
        positions[j + 1] = positions[j]!;
        j--;
      }
      positions[j + 1] = x;
    }
    const out: Operation[] = [];
    let last = -1;
    let e = 0;
    while (e < positions.length && positions[e]! < 0) e++;
    let c = 0;
    while (e < positions.length || c < list.length) {
      const at =
        c === list.length || (e < positions.length && positions[e]! <= list[c]!)
          ? positions[e++]!
          : list[c++]!;
      if (at !== last) {
        out.push(this.ops[at]!);
        last = at;
      }
    }
    return out;
  }
}

/** A message's state once `done` (of status `status`) is its best completion. */
function doneState(state: number, status: number, done: Operation): number {
  const v = done.value;
  return (
    (state & IN_TXN) |
    status |
    (done.type === "ok" ? DONE_OK : 0) |
    (v.topic !== undefined ? DONE_TOPIC : 0) |
    (typeof v.partition === "number" ? DONE_PARTITION : 0)
  );
}

/** The one pass over the history: messages, transactions, processing, poll events. */
function scan(t: Tables, processedBy: ProcessedBy, ordering: Ordering): void {
  const ops = t.ops;
  const ordered = ordering !== "none";
  const byReceive = processedBy === "receive";
  const byEffect = processedBy === "effect";
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const f = op.f;
    if (f === "send") {
      const v = op.value;
      const id = v.id;
      if (id === undefined) continue;
      const m = t.message(id, i);
      const rec = t.rec;
      const b = m * STRIDE;
      const type = op.type;
      if (type === "invoke") {
        if (rec[b + INVOKE]! < 0) rec[b + INVOKE] = i;
      } else {
        t.append(m, COMPLETIONS, i);
        let status: number;
        if (type === "ok") {
          status = OK;
          if (v.txn !== undefined && (rec[b + STATE]! & IN_TXN) === 0) {
            rec[b + STATE] = rec[b + STATE]! | IN_TXN;
            t.inTxn.push(m);
          }
        } else status = type === "fail" ? FAIL : INFO;
        if (rec[b + DONE]! < 0 || status > (rec[b + STATE]! & STATUS_MASK)) {
          rec[b + DONE] = i;
          rec[b + STATE] = doneState(rec[b + STATE]!, status, op);
        }
      }
      if (rec[b + TOPIC_AT]! < 0 && v.topic !== undefined) rec[b + TOPIC_AT] = i;
      if (rec[b + PARTITION_AT]! < 0 && typeof v.partition === "number") rec[b + PARTITION_AT] = i;
      if (rec[b + KEY_AT]! < 0 && v.key !== undefined) rec[b + KEY_AT] = i;
      if (ordered) t.sends.push3(i, m, t.process(op.process));
    } else if (f === "receive") {
      if (op.type !== "ok") continue;
      const v = op.value;
      const id = v.id;
      if (id !== undefined && v.isolation === "read_committed") t.committedReads.push(i);
      const offset = v.offset;
      const partition = v.partition;
      if (typeof offset === "number" && v.topic !== undefined && typeof partition === "number") {
        t.polls.push3(i, t.process(op.process), t.slot(v.topic, partition));
        t.pollOffset.push(offset);
      }
      if (byReceive && id !== undefined) {
        const m = t.message(id, i);
        t.append(m, PROCESSED, i);
        t.rec[m * STRIDE + COUNT]!++;
      }
    } else if (f === "effect") {
      if (op.type !== "ok" || !byEffect) continue;
      const id = op.value.id;
      if (id === undefined) continue;
      const m = t.message(id, i);
      t.append(m, PROCESSED, i);
      const rec = t.rec;
      const b = m * STRIDE;
      const first = rec[b + NAME_AT]!;
      let n: number;
      if (first < 0) {
        rec[b + NAME_AT] = i;
        n = rec[b + NAME_COUNT] = 1;
      } else {
        const name = effectName(op);
        if (name === effectName(ops[first]!)) n = ++rec[b + NAME_COUNT]!;
        else {
          let others = t.otherNames.get(m);
          if (others === undefined) t.otherNames.set(m, (others = new Map()));
          n = (others.get(name) ?? 0) + 1;
          others.set(name, n);
        }
      }
      if (n > rec[b + COUNT]!) rec[b + COUNT] = n;
    } else if (f === "txn") {
      const v = op.value;
      const txn = v.txn;
      if (txn === undefined || op.type === "invoke") continue;
      const action = v.action;
      if (action === "commit") {
        if (op.type === "ok" || op.type === "fail" || !t.txnAt.has(txn)) t.txnAt.set(txn, i);
      } else if (action === "abort" && op.type === "ok") t.txnAt.set(txn, i);
    } else if (op.type !== "invoke" && POSITION_RESETS.has(f)) {
      t.polls.push3(i, t.process(op.process), -1);
      t.pollOffset.push(0);
    }
  }
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

  let hasEffects = false;
  for (let i = 0; i < ops.length; i++) {
    if (ops[i]!.f === "effect") {
      hasEffects = true;
      break;
    }
  }
  const processedBy = options.processedBy ?? (hasEffects ? "effect" : "receive");
  const t = new Tables(ops);
  scan(t, processedBy, ordering);
  t.settle();

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
  const rec = t.rec;
  for (let m = 0; m < t.size; m++) {
    const b = m * STRIDE;
    const s = rec[b + STATE]! & STATUS_MASK;
    const n = rec[b + COUNT]!;
    if (s === OK) sentOk++;
    else if (s === FAIL) sentFail++;
    else if (s === INFO) sentInfo++;
    if (s !== NONE) {
      if (n === 0) never++;
      else if (n === 1) once++;
      else more++;
    }
    if (s === OK && n === 0) {
      const id = t.id(m);
      anomalies.push({
        kind: "lost",
        ids: [id],
        violation: !lossAllowed,
        message: `${id} was sent (ok) but never processed.`,
        evidence: t.evidence([rec[b + INVOKE]!, rec[b + DONE]!]),
      });
    }
    if ((s === FAIL || s === NONE) && n > 0) {
      unexpectedCount++;
      const id = t.id(m);
      const txn = t.txn(m);
      const why =
        s === NONE
          ? "never sent"
          : txn !== undefined && t.outcome(txn) === "abort"
            ? `sent in transaction ${txn}, which aborted`
            : "its send failed";
      anomalies.push({
        kind: "unexpected",
        ids: [id],
        violation: true,
        message: `${id} was processed but ${why}.`,
        evidence: t.evidence(
          [rec[b + INVOKE]!, rec[b + DONE]!, txn === undefined ? -1 : (t.txnAt.get(txn) ?? -1)],
          m,
        ),
      });
    }
    if (n > 1) {
      const id = t.id(m);
      anomalies.push({
        kind: "duplicate",
        ids: [id],
        violation: !dupAllowed,
        message: `${id} was processed ${n} times${s === INFO ? " (its send's outcome was unknown)" : ""}.`,
        evidence: t.evidence([rec[b + INVOKE]!, rec[b + DONE]!], m),
      });
    }
  }

  checkAbortedReads(t, anomalies);
  if (ordering !== "none") checkOrder(t, ordering, anomalies);
  checkPolls(t, guarantee === "exactly-once" || ordering !== "none", anomalies);

  sortAnomalies(anomalies);
  const counts: CheckCounts = {
    operations: ops.length,
    messages: t.size,
    sent: { ok: sentOk, fail: sentFail, info: sentInfo },
    processed: { once, moreThanOnce: more, never },
    unexpected: unexpectedCount,
  };
  let valid = true;
  for (const a of anomalies) if (a.violation) valid = false;
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

/** Report order: by kind, then by first evidence; stable, and skipped when already in order. */
function sortAnomalies(anomalies: Anomaly[]): void {
  const compare = (a: Anomaly, b: Anomaly) =>
    KIND_RANK[a.kind] - KIND_RANK[b.kind] || (a.evidence[0]?.index ?? 0) - (b.evidence[0]?.index ?? 0);
  for (let i = 1; i < anomalies.length; i++) {
    if (compare(anomalies[i - 1]!, anomalies[i]!) > 0) {
      anomalies.sort(compare);
      return;
    }
  }
}

/** Aborted reads (G1a): a read_committed receive of a record whose transaction aborted. */
function checkAbortedReads(t: Tables, anomalies: Anomaly[]): void {
  if (t.txnAt.size === 0) return;
  const ops = t.ops;
  const reads = t.committedReads;
  for (let k = 0; k < reads.length; k++) {
    const at = reads.data[k]!;
    const op = ops[at]!;
    const v = op.value;
    const m = t.byId.get(v.id!);
    if (m === undefined) continue;
    // The record read, by its coordinates; else the message when all its sends aborted.
    let send =
      typeof v.offset === "number" && t.abortedAt.size > 0
        ? t.abortedAt.get(`${v.topic}\u0000${v.partition}\u0000${v.offset}`)
        : undefined;
    if (send === undefined && t.status(m) === FAIL && t.txn(m) !== undefined) send = t.get(m, DONE);
    if (send === undefined) continue;
    const txn = ops[send]!.value.txn!;
    if (t.outcome(txn) !== "abort") continue;
    const id = t.id(m);
    anomalies.push({
      kind: "aborted-read",
      ids: [id],
      violation: true,
      message: `${op.process} (read_committed) received ${id} of transaction ${txn}, which aborted.`,
      evidence: t.evidence([t.get(m, INVOKE), send, t.txnAt.get(txn)!, at]),
    });
  }
}

/**
 * Reordering: for each message B, the latest-processed message A of the same producer and key
 * (or partition) whose send completed before B's was invoked; B processed first is a violation.
 * A group is the producer and the message's `topic\0key` (or `topic\0partition`), interned: that
 * string is built once per message, and the producer is an interned number (a process name holding
 * a NUL, which would make `producer\0topic\0key` ambiguous, falls back to whole strings).
 */
function checkOrder(t: Tables, ordering: Ordering, anomalies: Anomaly[]): void {
  const { rec, sends } = t;
  const perKey = ordering === "per-key";
  let exactProcesses = true;
  for (const name of t.processNames) if (name.includes("\u0000")) exactProcesses = false;
  const tails = new Map<string, number>();
  const tailOf = new Int32Array(t.size).fill(-2);
  const groupsByProcess: Map<number, number>[] = [];
  const groupsByString = new Map<string, number>();
  const groupMax = new IntList(64);
  const groupWitness = new IntList(64);
  const threshold = new Int32Array(t.size).fill(-1);
  const witness = new Int32Array(t.size).fill(-1);
  const sent = sends.data;
  for (let k = 0; k < sends.length; k += 3) {
    const m = sent[k + 1]!;
    const b = m * STRIDE;
    if (rec[b + COUNT] === 0 || (rec[b + STATE]! & STATUS_MASK) <= FAIL) continue;
    const at = sent[k]!;
    const isInvoke = at === rec[b + INVOKE];
    if (!isInvoke && at !== rec[b + DONE]) continue;
    let tail = tailOf[m]!;
    if (tail === -2) {
      const sub = perKey ? t.key(m) : t.partition(m);
      if (sub == null) tail = -1;
      else {
        const text = `${t.topic(m) ?? ""}\u0000${sub}`;
        tail = tails.get(text) ?? -1;
        if (tail < 0) tails.set(text, (tail = tails.size));
      }
      tailOf[m] = tail;
    }
    if (tail < 0) continue;
    let g: number | undefined;
    if (exactProcesses) {
      const p = sent[k + 2]!;
      let groups = groupsByProcess[p];
      if (groups === undefined) groupsByProcess[p] = groups = new Map();
      g = groups.get(tail);
      if (g === undefined) {
        groups.set(tail, (g = groupMax.length));
        groupMax.push(-1);
        groupWitness.push(-1);
      }
    } else {
      const text = `${t.ops[at]!.process}\u0000${t.topic(m) ?? ""}\u0000${perKey ? t.key(m) : t.partition(m)}`;
      g = groupsByString.get(text);
      if (g === undefined) {
        groupsByString.set(text, (g = groupMax.length));
        groupMax.push(-1);
        groupWitness.push(-1);
      }
    }
    if (isInvoke) {
      threshold[m] = groupMax.data[g]!;
      witness[m] = groupWitness.data[g]!;
    } else if ((rec[b + STATE]! & DONE_OK) !== 0) {
      const first = rec[b + PROCESSED]!;
      if (first > groupMax.data[g]!) {
        groupMax.data[g] = first;
        groupWitness.data[g] = m;
      }
    }
  }
  for (let m = 0; m < t.size; m++) {
    const a = witness[m]!;
    if (a < 0 || rec[m * STRIDE + COUNT] === 0) continue;
    const firstB = rec[m * STRIDE + PROCESSED]!;
    if (threshold[m]! <= firstB) continue;
    const idA = t.id(a);
    const idB = t.id(m);
    anomalies.push({
      kind: "reordered",
      ids: [idA, idB],
      violation: true,
      message: `${idA} was sent before ${idB} (same producer, ${perKey ? `key ${String(t.key(m))}` : `partition ${t.topic(m)}/${t.partition(m)}`}) but processed after it.`,
      evidence: t.evidence([t.get(a, DONE), t.get(m, INVOKE), firstB, t.get(a, PROCESSED)]),
    });
  }
}

/**
 * Per consumer and partition: receives must not go back, nor jump over visible records. The
 * visible offsets (of ok sends and of receives) are gathered only when some receive jumps.
 */
function checkPolls(t: Tables, violation: boolean, anomalies: Anomaly[]): void {
  const n = t.pollOffset.length;
  if (n === 0) return;
  const ops = t.ops;
  const events = t.polls.data;
  const offsets = t.pollOffset.data;
  let visible: Set<number>[] | null = null;
  const sorted: (number[] | undefined)[] = [];
  const visibleSets = (): Set<number>[] => {
    const sets: Set<number>[] = [];
    const add = (slot: number, offset: number) => {
      let set = sets[slot];
      if (set === undefined) sets[slot] = set = new Set();
      set.add(offset);
    };
    for (let m = 0; m < t.size; m++) {
      const done = t.get(m, DONE);
      const topic = t.topic(m);
      const partition = t.partition(m);
      if (t.status(m) === OK && done >= 0 && topic !== undefined && partition !== undefined) {
        const o = ops[done]!.value.offset;
        if (typeof o === "number") add(t.slot(topic, partition), o);
      }
    }
    for (let k = 0; k < n; k++) if (events[3 * k + 2]! >= 0) add(events[3 * k + 2]!, offsets[k]!);
    return sets;
  };
  const anyBetween = (slot: number, low: number, high: number): number | null => {
    visible ??= visibleSets();
    const set = visible[slot];
    if (set === undefined) return null;
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
  // Per process: the last receive (its event number) per slot; undefined after a reset.
  const last: (number[] | undefined)[] = [];
  for (let k = 0; k < n; k++) {
    const p = events[3 * k + 1]!;
    const slot = events[3 * k + 2]!;
    if (slot < 0) {
      last[p] = undefined;
      continue;
    }
    const offset = offsets[k]!;
    let mine = last[p];
    if (mine === undefined) last[p] = mine = [];
    const prevK = mine[slot];
    mine[slot] = k;
    if (prevK === undefined) continue;
    const before = offsets[prevK]!;
    if (offset === before + 1) continue;
    const op = ops[events[3 * k]!]!;
    const prev = ops[events[3 * prevK]!]!;
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

function idsOf(a: Operation, b: Operation): string[] {
  const ids: string[] = [];
  if (a.value.id !== undefined) ids.push(a.value.id);
  if (b.value.id !== undefined) ids.push(b.value.id);
  return ids;
}
