import { InvalidArgumentError } from "../scheduler/errors.js";

/**
 * Fault plans as plain JSON data: a list of faults, each one of the kinds below. The same plan
 * applied to the same seeded scenario gives the same trace.
 *
 * @example
 * ```ts
 * const plan: FaultPlan = [
 *   { kind: "crash", process: "billing", point: "after-charge", occurrence: 1, restartAfterMs: 1000 },
 *   { kind: "drop-response", request: "commit", nth: 2 },
 * ];
 * validateFaultPlan(plan);
 * ```
 */

/**
 * Requests a network fault can match: the log's (produce, fetch, commit, heartbeat, transactional;
 * `Faults.attachLog`) and AMQP's (publish, confirm, ack — ack, nack and reject — and basic.get;
 * `Faults.attachAmqp`, see `src/exchange/network.ts` for what each fault does to each).
 */
export const REQUEST_KINDS = Object.freeze([
  "produce",
  "fetch",
  "commit",
  "heartbeat",
  "init-producer-id",
  "add-partitions",
  "add-offsets",
  "txn-offset-commit",
  "end-txn",
  "publish",
  "confirm",
  "ack",
  "basic.get",
] as const);
export type FaultRequestKind = (typeof REQUEST_KINDS)[number];

/** Crash a process at a virtual time or at the n-th occurrence of a named crash point; optionally restart it. */
export interface CrashFault {
  kind: "crash";
  process: string;
  /** Virtual ms after the start of the run (give this or `point`). */
  atMs?: number;
  /** A crash point the process passes (`ctx.point(name)`, or a model's point). */
  point?: string;
  /** Which occurrence of `point` counts, from 1 (default 1). */
  occurrence?: number;
  /** Restart the process this long after the crash (never restarted when absent). */
  restartAfterMs?: number;
}

/** Lose the n-th matching request on the way to the broker, or its response on the way back. */
export interface DropFault {
  kind: "drop-request" | "drop-response";
  request: FaultRequestKind;
  /** Only requests of this client id (default: any client). */
  client?: string;
  /** The n-th matching request, from 1 (default 1). */
  nth?: number;
  /** How many consecutive matching requests (default 1). */
  count?: number;
}

/** Delay the n-th matching request (and its response) by `delayMs`. */
export interface DelayFault {
  kind: "delay";
  request: FaultRequestKind;
  client?: string;
  nth?: number;
  count?: number;
  delayMs: number;
}

/**
 * Cut a client off its broker for a window. Log: every request it sends then is lost (it times
 * out), fetches included. AMQP (the client is a connection name): what it sends and the deliveries
 * to it are held until the window ends, a new connection under its name is refused
 * (`CONNECTION_REFUSED`), and a window of at least the broker's heartbeat timeout (60 s by
 * default) drops its connections at that timeout (unacked and held deliveries requeued and
 * redelivered; what it had sent and was held is lost).
 */
export interface PartitionFault {
  kind: "partition";
  client: string;
  fromMs: number;
  durationMs: number;
}

/** Slow a process by `factor` for a window: its `ctx.sleep` and `ctx.work` take factor times longer. */
export interface SlowFault {
  kind: "slow";
  process: string;
  fromMs: number;
  durationMs: number;
  factor: number;
}

/**
 * Restart the broker at a time, down for `downMs` (default 1000). Log: every request in flight or
 * sent while it is down is lost; the log survives. AMQP: every connection drops (320
 * CONNECTION_FORCED), non-durable queues and exchanges and the non-persistent messages of durable
 * classic queues are gone, durable ones survive; connects are refused while it is down.
 */
export interface RestartBrokerFault {
  kind: "restart-broker";
  atMs: number;
  downMs?: number;
}

/** One fault. */
export type Fault = CrashFault | DropFault | DelayFault | PartitionFault | SlowFault | RestartBrokerFault;
/** A fault plan: JSON-serializable, applied in order. */
export type FaultPlan = readonly Fault[];
/** The kinds. */
export type FaultKind = Fault["kind"];

export const FAULT_KINDS: readonly FaultKind[] = Object.freeze([
  "crash",
  "drop-request",
  "drop-response",
  "delay",
  "partition",
  "slow",
  "restart-broker",
]);

const KEYS: Record<FaultKind, readonly string[]> = {
  crash: ["kind", "process", "atMs", "point", "occurrence", "restartAfterMs"],
  "drop-request": ["kind", "request", "client", "nth", "count"],
  "drop-response": ["kind", "request", "client", "nth", "count"],
  delay: ["kind", "request", "client", "nth", "count", "delayMs"],
  partition: ["kind", "client", "fromMs", "durationMs"],
  slow: ["kind", "process", "fromMs", "durationMs", "factor"],
  "restart-broker": ["kind", "atMs", "downMs"],
};

/** What a plan may refer to: the processes (with their crash points) and clients of a scenario. */
export interface FaultTargets {
  /** Process name → its crash points (an empty list: crashes at times only). */
  processes?: Readonly<Record<string, readonly string[]>>;
  /** Client ids network faults may name. */
  clients?: readonly string[];
}

function fail(
  i: number,
  message: string,
  code = "INVALID_FAULT_PLAN",
  details: Record<string, unknown> = {},
): never {
  throw new InvalidArgumentError(`Fault plan: fault ${i} ${message}`, code, { at: i, ...details });
}

function number(
  i: number,
  f: Record<string, unknown>,
  name: string,
  min: number,
  integer: boolean,
  required: boolean,
) {
  const v = f[name];
  if (v === undefined) {
    if (required) fail(i, `(${String(f.kind)}) needs ${name}.`);
    return;
  }
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
    fail(
      i,
      `(${String(f.kind)}): ${name} must be ${integer ? "an integer" : "a number"} ≥ ${min}, got ${JSON.stringify(v)}.`,
    );
  }
}

/**
 * Checks a plan fully: JSON shape, known kinds (`UNKNOWN_FAULT_KIND`), fields, and — when the
 * targets are given — that processes, crash points and clients exist (`UNKNOWN_PROCESS`,
 * `UNKNOWN_CRASH_POINT`, `UNKNOWN_CLIENT`). Returns a deep copy, frozen.
 *
 * @example
 * ```ts
 * validateFaultPlan([{ kind: "explode" }]); // throws UNKNOWN_FAULT_KIND
 * ```
 */
export function validateFaultPlan(plan: unknown, targets?: FaultTargets): FaultPlan {
  if (!Array.isArray(plan))
    throw new InvalidArgumentError("Fault plan: expected an array of faults.", "INVALID_FAULT_PLAN");
  const out: Fault[] = [];
  plan.forEach((raw: unknown, i) => {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw))
      fail(i, "must be an object with a kind.");
    const f = raw as Record<string, unknown>;
    const kind = f.kind as FaultKind;
    if (typeof kind !== "string" || !FAULT_KINDS.includes(kind)) {
      fail(
        i,
        `has unknown kind ${JSON.stringify(f.kind)}; known kinds: ${FAULT_KINDS.join(", ")}.`,
        "UNKNOWN_FAULT_KIND",
        {
          kind: f.kind,
        },
      );
    }
    for (const key of Object.keys(f))
      if (!KEYS[kind].includes(key))
        fail(i, `(${kind}) has unknown field ${JSON.stringify(key)}; known: ${KEYS[kind].join(", ")}.`);
    switch (kind) {
      case "crash": {
        if (typeof f.process !== "string" || f.process === "") fail(i, "(crash) needs a process name.");
        const hasAt = f.atMs !== undefined;
        const hasPoint = f.point !== undefined;
        if (hasAt === hasPoint) fail(i, "(crash) needs exactly one of atMs or point.");
        number(i, f, "atMs", 0, false, false);
        if (hasPoint && (typeof f.point !== "string" || f.point === ""))
          fail(i, "(crash): point must be a non-empty string.");
        number(i, f, "occurrence", 1, true, false);
        if (!hasPoint && f.occurrence !== undefined) fail(i, "(crash): occurrence only applies with point.");
        number(i, f, "restartAfterMs", 0, false, false);
        const points = targets?.processes?.[f.process as string];
        if (targets?.processes !== undefined && points === undefined) {
          fail(
            i,
            `(crash) names process ${JSON.stringify(f.process)}, which the scenario does not have; known: ${Object.keys(targets.processes).join(", ") || "(none)"}.`,
            "UNKNOWN_PROCESS",
            { process: f.process },
          );
        }
        if (hasPoint && points !== undefined && !points.includes(f.point as string)) {
          fail(
            i,
            `(crash) names crash point ${JSON.stringify(f.point)}, which process ${f.process as string} does not have; its points: ${points.join(", ") || "(none)"}.`,
            "UNKNOWN_CRASH_POINT",
            { point: f.point },
          );
        }
        break;
      }
      case "drop-request":
      case "drop-response":
      case "delay":
        if (!REQUEST_KINDS.includes(f.request as FaultRequestKind)) {
          fail(
            i,
            `(${kind}): request must be one of ${REQUEST_KINDS.join(", ")}, got ${JSON.stringify(f.request)}.`,
          );
        }
        if (f.client !== undefined) checkClient(i, f, targets);
        number(i, f, "nth", 1, true, false);
        number(i, f, "count", 1, true, false);
        number(i, f, "delayMs", 0, false, kind === "delay");
        break;
      case "partition":
        checkClient(i, f, targets);
        number(i, f, "fromMs", 0, false, true);
        number(i, f, "durationMs", 0, false, true);
        break;
      case "slow":
        if (typeof f.process !== "string" || f.process === "") fail(i, "(slow) needs a process name.");
        if (targets?.processes !== undefined && targets.processes[f.process as string] === undefined) {
          fail(
            i,
            `(slow) names process ${JSON.stringify(f.process)}, which the scenario does not have.`,
            "UNKNOWN_PROCESS",
          );
        }
        number(i, f, "fromMs", 0, false, true);
        number(i, f, "durationMs", 0, false, true);
        number(i, f, "factor", 1, false, true);
        break;
      case "restart-broker":
        number(i, f, "atMs", 0, false, true);
        number(i, f, "downMs", 0, false, false);
        break;
    }
    out.push(Object.freeze({ ...f }) as unknown as Fault);
  });
  return Object.freeze(out);
}

function checkClient(i: number, f: Record<string, unknown>, targets: FaultTargets | undefined): void {
  if (typeof f.client !== "string" || f.client === "") fail(i, `(${String(f.kind)}) needs a client id.`);
  if (targets?.clients !== undefined && !targets.clients.includes(f.client as string)) {
    fail(
      i,
      `(${String(f.kind)}) names client ${JSON.stringify(f.client)}, which the scenario does not have; known: ${targets.clients.join(", ")}.`,
      "UNKNOWN_CLIENT",
      { client: f.client },
    );
  }
}

/**
 * A one-line description of a fault, for reports.
 *
 * @example
 * ```ts
 * describeFault({ kind: "crash", process: "billing", point: "after-charge" }); // "crash billing at after-charge #1"
 * ```
 */
export function describeFault(f: Fault): string {
  switch (f.kind) {
    case "crash": {
      const where = f.point !== undefined ? `at ${f.point} #${f.occurrence ?? 1}` : `at ${f.atMs}ms`;
      return `crash ${f.process} ${where}${f.restartAfterMs !== undefined ? `, restart after ${f.restartAfterMs}ms` : ""}`;
    }
    case "drop-request":
    case "drop-response":
    case "delay": {
      const n = f.nth ?? 1;
      const count = f.count ?? 1;
      const which = count === 1 ? `#${n}` : `#${n}-#${n + count - 1}`;
      return `${f.kind} ${f.request} ${which}${f.client !== undefined ? ` of ${f.client}` : ""}${f.kind === "delay" ? ` by ${f.delayMs}ms` : ""}`;
    }
    case "partition":
      return `partition ${f.client} from ${f.fromMs}ms for ${f.durationMs}ms`;
    case "slow":
      return `slow ${f.process} ×${f.factor} from ${f.fromMs}ms for ${f.durationMs}ms`;
    case "restart-broker":
      return `restart broker at ${f.atMs}ms (down ${f.downMs ?? 1000}ms)`;
  }
}
