import type { EventBus, EventType } from "./event-bus.js";

/** One recorded event: virtual time, type and payload, in emission order. */
export interface TraceEntry {
  time: number;
  type: EventType;
  payload: unknown;
}

/**
 * Records every event of a simulation's bus, opt-in. Serialization is deterministic (object keys
 * sorted, bytes as hex, non-finite numbers spelled out), so two runs of the same program with the
 * same seed give byte-identical text and equal {@link TraceRecorder.hash | hashes}.
 *
 * Payloads are serialized when recorded, so later mutation of a message object cannot rewrite
 * history.
 *
 * @example
 * ```ts
 * const trace = sim.trace();
 * await sim.run();
 * console.log(trace.hash(), trace.length);
 * ```
 */
export class TraceRecorder {
  private readonly lines: string[] = [];
  private readonly records: TraceEntry[] = [];
  private readonly untap: () => void;
  private readonly keepEntries: boolean;

  /** @param keepEntries also keep the parsed entries (for renderers); the text alone is enough for hashing. */
  constructor(bus: EventBus, keepEntries = true) {
    this.keepEntries = keepEntries;
    this.untap = bus.tap((type, time, payload) => {
      const text = stableStringify(payload);
      this.lines.push(`${formatTime(time)} ${type} ${text}`);
      if (this.keepEntries)
        this.records.push({ time, type, payload: text === undefined ? undefined : JSON.parse(text) });
    });
  }

  /** Number of recorded events. */
  get length(): number {
    return this.lines.length;
  }

  /** The recorded entries (payloads as they were when emitted). */
  get entries(): readonly TraceEntry[] {
    return this.records;
  }

  /** Stops recording; what was recorded stays. */
  stop(): void {
    this.untap();
  }

  /** The trace as text, one event per line: `time type payload-json`. */
  serialize(): string {
    return this.lines.join("\n");
  }

  /** A 64-bit FNV-1a hash of {@link serialize}, as 16 hex digits. */
  hash(): string {
    return fnv1a64(this.serialize());
  }
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
 * so it is fast everywhere). Returns 16 hex digits.
 *
 * @example
 * ```ts
 * fnv1a64("") // "cbf29ce484222325"
 * ```
 */
export function fnv1a64(text: string): string {
  // State as four 16-bit limbs: h = h3:h2:h1:h0.
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
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
  return [h3, h2, h1, h0].map((limb) => limb.toString(16).padStart(4, "0")).join("");
}
