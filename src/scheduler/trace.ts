import { describeValue } from "./describe-value.js";
import { InvalidArgumentError, InvalidStateError } from "./errors.js";
import type { EventBus, EventType } from "./event-bus.js";

/** One recorded event: virtual time, type and payload, in emission order. */
export interface TraceEntry {
  time: number;
  type: EventType;
  payload: unknown;
}

/**
 * How much of a trace a {@link TraceRecorder} holds in memory (its hash and length are always
 * complete, computed incrementally in constant memory):
 *
 * - `true` (the default): every line and every entry, for the whole run (memory grows with the
 *   number of events, a few hundred bytes each);
 * - `false`: nothing; only {@link TraceRecorder.hash | hash()} and
 *   {@link TraceRecorder.length | length}, in constant memory, for runs of any size;
 * - a whole number `n` ≥ 0: the last `n` lines and entries (a ring), for a tail to look at after
 *   a long run; `0` is the same as `false`.
 */
export type TraceKeep = boolean | number;

/**
 * Records every event of a simulation's bus, opt-in. Serialization is deterministic (object keys
 * sorted, bytes as hex, non-finite numbers spelled out), so two runs of the same program with the
 * same seed give byte-identical text and equal {@link TraceRecorder.hash | hashes}.
 *
 * The hash is computed as events arrive, over the same bytes in the same order as
 * {@link TraceRecorder.serialize | serialize()}, so it is the same whatever is kept (see
 * {@link TraceKeep}) and costs no memory.
 *
 * Payloads are serialized when recorded, so later mutation of a message object cannot rewrite
 * history.
 *
 * @example
 * ```ts
 * const trace = sim.trace(); // or sim.trace({ keepEntries: false }) for a long run: hash only
 * await sim.run();
 * console.log(trace.hash(), trace.length);
 * ```
 */
export class TraceRecorder {
  /** Retained lines: all of them (keep all), or a ring of `capacity` slots starting at `head`. */
  private readonly lines: string[] = [];
  private readonly records: TraceEntry[] = [];
  private readonly untap: () => void;
  /** Lines kept at most; +Infinity for all. */
  private readonly capacity: number;
  private readonly keepRecords: boolean;
  /** Index of the oldest retained line once the ring has wrapped. */
  private head = 0;
  private count = 0;
  private readonly hasher = new Fnv1a64();

  /**
   * @param keepEntries what to keep in memory besides the hash: `true` (default) everything,
   *   `false` nothing, a whole number `n` the last `n` lines and entries. See {@link TraceKeep}.
   */
  constructor(bus: EventBus, keepEntries: TraceKeep = true) {
    if (bus === null || typeof bus !== "object" || typeof (bus as { tap?: unknown }).tap !== "function") {
      throw new InvalidArgumentError(
        `TraceRecorder: bus must be a simulation's event bus, got ${describeValue(bus)}. Use sim.trace() to record a simulation.`,
      );
    }
    this.capacity = traceCapacity(keepEntries, "TraceRecorder");
    this.keepRecords = this.capacity > 0;
    this.untap = bus.tap((type, time, payload) => {
      const text = stableStringify(payload);
      const line = `${formatTime(time)} ${type} ${text}`;
      if (this.count > 0) this.hasher.update("\n");
      this.hasher.update(line);
      this.count++;
      if (!this.keepRecords) return;
      const record = { time, type, payload: text === undefined ? undefined : JSON.parse(text) };
      if (this.lines.length < this.capacity) {
        this.lines.push(line);
        this.records.push(record);
      } else {
        this.lines[this.head] = line;
        this.records[this.head] = record;
        this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
      }
    });
  }

  /** Number of recorded events (all of them, kept or not). */
  get length(): number {
    return this.count;
  }

  /** Number of events whose line and entry are still held in memory (≤ {@link length}). */
  get retained(): number {
    return this.lines.length;
  }

  /** The retained entries, oldest first (payloads as they were when emitted). */
  get entries(): readonly TraceEntry[] {
    return this.head === 0 ? this.records : ringOrder(this.records, this.head);
  }

  /** Stops recording; what was recorded stays. */
  stop(): void {
    this.untap();
  }

  /**
   * The trace as text, one event per line: `time type payload-json`. Only when every line is still
   * held (`keepEntries: true`, or a ring that has not overflowed); otherwise refused with
   * `TRACE_NOT_RETAINED` — compare runs with {@link hash}, read the tail with
   * {@link serializeRetained}.
   */
  serialize(): string {
    if (this.lines.length < this.count) {
      throw new InvalidStateError(
        `TraceRecorder.serialize: only ${this.lines.length} of ${this.count} trace lines are kept (keepEntries: ${this.capacity === Number.POSITIVE_INFINITY ? "true" : this.capacity === 0 ? "false" : this.capacity}). ` +
          "Compare runs with hash(), read the kept tail with serializeRetained(), or record with sim.trace({ keepEntries: true }) to keep every line.",
        "TRACE_NOT_RETAINED",
        { retained: this.lines.length, length: this.count },
      );
    }
    return this.lines.join("\n");
  }

  /** The retained lines, oldest first, as {@link serialize} would print them. */
  serializeRetained(): string {
    return (this.head === 0 ? this.lines : ringOrder(this.lines, this.head)).join("\n");
  }

  /**
   * A 64-bit FNV-1a hash of the whole trace text ({@link serialize}, every line, kept or not), as
   * 16 hex digits. Computed incrementally: constant time and memory whatever the trace's size.
   */
  hash(): string {
    return this.hasher.digest();
  }
}

/** Validates a `keepEntries` option; returns how many lines to keep (+Infinity: all). */
export function traceCapacity(keepEntries: unknown, where: string): number {
  if (keepEntries === true) return Number.POSITIVE_INFINITY;
  if (keepEntries === false) return 0;
  if (
    typeof keepEntries !== "number" ||
    !Number.isInteger(keepEntries) ||
    keepEntries < 0 ||
    keepEntries > 2 ** 32 - 1
  ) {
    throw new InvalidArgumentError(
      `${where}: keepEntries must be true (keep every line), false (hash only) or a whole number n ≥ 0 (keep the last n lines), got ${describeValue(keepEntries)}.`,
    );
  }
  return keepEntries;
}

function ringOrder<T>(ring: readonly T[], head: number): T[] {
  return ring.slice(head).concat(ring.slice(0, head));
}

function formatTime(time: number): string {
  return Number.isInteger(time) ? String(time) : time.toPrecision(17).replace(/0+$/, "");
}

/**
 * JSON with sorted object keys, so that the order in which user code built an object never shows
 * up in a trace. Bytes become `{"$bytes":"hex"}`, Maps and Sets their entries, bigints strings,
 * non-finite numbers strings, functions and undefined are dropped as JSON does.
 *
 * @example
 * ```ts
 * stableStringify({ b: 1, a: [1n, new Uint8Array([255])] }); // '{"a":["1n",{"$bytes":"ff"}],"b":1}'
 * ```
 */
export function stableStringify(value: unknown): string {
  return JSON.stringify(normalize(value, 0)) ?? "null";
}

function normalize(value: unknown, depth: number): unknown {
  if (depth > 64) return "[too deep]";
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "undefined" || typeof value === "function" || typeof value === "symbol")
    return undefined;
  if (value instanceof Uint8Array) {
    let hex = "";
    for (let i = 0; i < value.length; i++) hex += (value[i] as number).toString(16).padStart(2, "0");
    return { $bytes: hex };
  }
  if (Array.isArray(value)) return value.map((item) => normalize(item, depth + 1) ?? null);
  if (value instanceof Map)
    return { $map: [...value].map(([k, v]) => [normalize(k, depth + 1), normalize(v, depth + 1)]) };
  if (value instanceof Set) return { $set: [...value].map((v) => normalize(v, depth + 1)) };
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return normalize((value as { toJSON(): unknown }).toJSON(), depth + 1);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value as object).sort()) {
    const item = normalize((value as Record<string, unknown>)[key], depth + 1);
    if (item !== undefined) out[key] = item;
  }
  return out;
}

/**
 * 64-bit FNV-1a over the UTF-16 code units of a string, computed in two 32-bit halves (no BigInt,
 * so it is fast everywhere). Returns 16 hex digits. Refuses anything but a string
 * (`INVALID_ARGUMENT`).
 *
 * @example
 * ```ts
 * fnv1a64("") // "cbf29ce484222325"
 * ```
 */
export function fnv1a64(text: string): string {
  if (typeof text !== "string") {
    throw new InvalidArgumentError(
      `fnv1a64: text must be a string, got ${describeValue(text)}. Hash a value's text, e.g. fnv1a64(stableStringify(value)).`,
    );
  }
  const hasher = new Fnv1a64();
  hasher.update(text);
  return hasher.digest();
}

/**
 * Incremental {@link fnv1a64}: `update(a); update(b)` gives the hash of `a + b`. Each UTF-16 code
 * unit contributes its low byte, then its high byte.
 */
class Fnv1a64 {
  // State as four 16-bit limbs: h = h3:h2:h1:h0.
  private h0 = 0x2325;
  private h1 = 0x8422;
  private h2 = 0x9ce4;
  private h3 = 0xcbf2;

  update(text: string): void {
    let h0 = this.h0;
    let h1 = this.h1;
    let h2 = this.h2;
    let h3 = this.h3;
    for (let i = 0; i < text.length; i++) {
      h0 ^= text.charCodeAt(i) & 0xff;
      // The high byte of each code unit too, so non-Latin text hashes fully.
      for (let round = 0; round < 2; round++) {
        if (round === 1) h0 ^= text.charCodeAt(i) >>> 8;
        // Multiply by the FNV prime 0x100000001b3 = 2^40 + 0x1b3.
        const t0 = h0 * 0x1b3;
        const t1 = h1 * 0x1b3;
        const t2 = h2 * 0x1b3;
        const t3 = h3 * 0x1b3;
        const n1 = t1 + (t0 >>> 16);
        const n2 = t2 + (n1 >>> 16) + (h0 << 8);
        const n3 = t3 + (n2 >>> 16) + (h1 << 8);
        h0 = t0 & 0xffff;
        h1 = n1 & 0xffff;
        h2 = n2 & 0xffff;
        h3 = n3 & 0xffff;
      }
    }
    this.h0 = h0;
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
  }

  digest(): string {
    return [this.h3, this.h2, this.h1, this.h0].map((limb) => limb.toString(16).padStart(4, "0")).join("");
  }
}
