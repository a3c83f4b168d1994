import fc from "fast-check";
import { InvalidArgumentError } from "../scheduler/errors.js";
import type { RandomSource } from "../scheduler/random.js";
import { checkOptions } from "../scheduler/validate.js";
import {
  FAULT_KINDS,
  type Fault,
  type FaultKind,
  type FaultPlan,
  type FaultRequestKind,
  type FaultTargets,
  REQUEST_KINDS,
} from "./fault-plan.js";

/**
 * The space of faults exploration may draw from: which processes (and their crash points) can
 * crash, which requests can be lost or delayed, which clients can be partitioned, over what
 * stretch of virtual time. Drawn two ways: as fast-check arbitraries (so plans shrink: fewer
 * faults, earlier times and occurrences, the first target) and as a seeded swarm.
 *
 * @example
 * ```ts
 * const space: FaultSpace = { processes: { billing: ["after-charge"] }, requests: ["commit"], horizonMs: 20_000 };
 * ```
 */
export interface FaultSpace {
  /** Process name → its crash points. */
  processes?: Readonly<Record<string, readonly string[]>>;
  /** Requests that may be dropped or delayed. */
  requests?: readonly FaultRequestKind[];
  /** Clients that may be partitioned (and that request faults may single out). */
  clients?: readonly string[];
  /** Faults happen in [0, horizonMs) of virtual time (default 30 000). */
  horizonMs?: number;
  /** At most this many faults per plan (default 3). */
  maxFaults?: number;
  /** Kinds to draw (default: every kind the targets allow, but not restart-broker). */
  kinds?: readonly FaultKind[];
  /** Crash points are hit at occurrence 1..maxOccurrence (default 5). */
  maxOccurrence?: number;
  /** Request faults hit the nth matching request, 1..maxNth (default 10). */
  maxNth?: number;
  /** Crashed processes restart after 0..maxRestartMs (default 2000): a crash is never permanent. */
  maxRestartMs?: number;
  /** Longest partition, slow window or broker outage (default 10 000). */
  maxWindowMs?: number;
  /** Longest request delay (default 5000). */
  maxDelayMs?: number;
}

interface ResolvedSpace {
  processes: Record<string, readonly string[]>;
  requests: readonly FaultRequestKind[];
  clients: readonly string[];
  horizonMs: number;
  maxFaults: number;
  kinds: FaultKind[];
  maxOccurrence: number;
  maxNth: number;
  maxRestartMs: number;
  maxWindowMs: number;
  maxDelayMs: number;
}

const SPACE_KEYS = [
  "processes",
  "requests",
  "clients",
  "horizonMs",
  "maxFaults",
  "kinds",
  "maxOccurrence",
  "maxNth",
  "maxRestartMs",
  "maxWindowMs",
  "maxDelayMs",
];

function positiveInt(v: unknown, name: string, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new InvalidArgumentError(
      `Fault space: ${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}.`,
    );
  }
  return v;
}

/**
 * Validates a fault space and fills in its defaults.
 *
 * @example
 * ```ts
 * resolveSpace({ processes: { w: [] } }).kinds; // ["crash", "slow"]
 * ```
 */
export function resolveSpace(space: FaultSpace = {}): ResolvedSpace {
  if (space === null || typeof space !== "object")
    throw new InvalidArgumentError("Fault space must be an object.");
  checkOptions(space, SPACE_KEYS, "Fault space");
  const processes: Record<string, readonly string[]> = {};
  if (space.processes !== undefined) {
    if (space.processes === null || typeof space.processes !== "object") {
      throw new InvalidArgumentError("Fault space: processes must map process names to their crash points.");
    }
    for (const [name, points] of Object.entries(space.processes)) {
      if (!Array.isArray(points) || points.some((p) => typeof p !== "string" || p === "")) {
        throw new InvalidArgumentError(
          `Fault space: processes.${name} must be an array of crash point names.`,
        );
      }
      processes[name] = [...points];
    }
  }
  const requests = [...(space.requests ?? [])];
  for (const r of requests)
    if (!REQUEST_KINDS.includes(r)) {
      throw new InvalidArgumentError(
        `Fault space: unknown request kind ${JSON.stringify(r)}; known: ${REQUEST_KINDS.join(", ")}.`,
        "UNKNOWN_REQUEST_KIND",
      );
    }
  const clients = [...(space.clients ?? [])];
  const names = Object.keys(processes);
  const possible: FaultKind[] = [];
  if (names.length > 0) possible.push("crash", "slow");
  if (requests.length > 0) possible.push("drop-request", "drop-response", "delay");
  if (clients.length > 0) possible.push("partition");
  let kinds: FaultKind[];
  if (space.kinds !== undefined) {
    kinds = [...space.kinds];
    for (const k of kinds) {
      if (!FAULT_KINDS.includes(k)) {
        throw new InvalidArgumentError(
          `Fault space: unknown fault kind ${JSON.stringify(k)}; known: ${FAULT_KINDS.join(", ")}.`,
          "UNKNOWN_FAULT_KIND",
        );
      }
      if (k !== "restart-broker" && !possible.includes(k)) {
        throw new InvalidArgumentError(
          `Fault space: kind ${k} needs targets (processes, requests or clients) to draw from.`,
        );
      }
    }
  } else kinds = possible;
  return {
    processes,
    requests,
    clients,
    horizonMs: positiveInt(space.horizonMs, "horizonMs", 30_000),
    maxFaults: positiveInt(space.maxFaults, "maxFaults", 3, 0),
    kinds,
    maxOccurrence: positiveInt(space.maxOccurrence, "maxOccurrence", 5),
    maxNth: positiveInt(space.maxNth, "maxNth", 10),
    maxRestartMs: positiveInt(space.maxRestartMs, "maxRestartMs", 2000, 0),
    maxWindowMs: positiveInt(space.maxWindowMs, "maxWindowMs", 10_000),
    maxDelayMs: positiveInt(space.maxDelayMs, "maxDelayMs", 5000),
  };
}

/** The targets a plan drawn from this space may name (for validation). */
export function targetsOf(space: ResolvedSpace): FaultTargets {
  return { processes: space.processes, clients: space.clients.length > 0 ? space.clients : undefined };
}

/**
 * A fast-check arbitrary of plans from the space. Shrinks toward fewer faults, time 0,
 * occurrence 1, the first process, point, request and client, and a restart at once.
 *
 * @example
 * ```ts
 * fc.sample(planArbitrary(resolveSpace(space)), 3);
 * ```
 */
export function planArbitrary(space: ResolvedSpace): fc.Arbitrary<Fault[]> {
  const arbs: fc.Arbitrary<Fault>[] = [];
  const names = Object.keys(space.processes);
  const time = fc.integer({ min: 0, max: space.horizonMs - 1 });
  const windowMs = fc.integer({ min: 1, max: space.maxWindowMs });
  const restart = fc.integer({ min: 0, max: space.maxRestartMs });
  for (const kind of space.kinds) {
    switch (kind) {
      case "crash":
        for (const name of names) {
          const points = space.processes[name]!;
          const atTime = fc.record({ atMs: time, restartAfterMs: restart }).map(
            (r): Fault => ({
              kind: "crash",
              process: name,
              atMs: r.atMs,
              restartAfterMs: r.restartAfterMs,
            }),
          );
          if (points.length === 0) {
            arbs.push(atTime);
            continue;
          }
          arbs.push(
            fc
              .record({
                point: fc.constantFrom(...points),
                occurrence: fc.integer({ min: 1, max: space.maxOccurrence }),
                restartAfterMs: restart,
              })
              .map(
                (r): Fault => ({
                  kind: "crash",
                  process: name,
                  point: r.point,
                  occurrence: r.occurrence,
                  restartAfterMs: r.restartAfterMs,
                }),
              ),
            atTime,
          );
        }
        break;
      case "drop-request":
      case "drop-response":
        arbs.push(
          fc
            .record({
              request: fc.constantFrom(...space.requests),
              nth: fc.integer({ min: 1, max: space.maxNth }),
            })
            .map((r): Fault => ({ kind, request: r.request, nth: r.nth })),
        );
        break;
      case "delay":
        arbs.push(
          fc
            .record({
              request: fc.constantFrom(...space.requests),
              nth: fc.integer({ min: 1, max: space.maxNth }),
              delayMs: fc.integer({ min: 1, max: space.maxDelayMs }),
            })
            .map((r): Fault => ({ kind: "delay", request: r.request, nth: r.nth, delayMs: r.delayMs })),
        );
        break;
      case "partition":
        arbs.push(
          fc
            .record({ client: fc.constantFrom(...space.clients), fromMs: time, durationMs: windowMs })
            .map((r): Fault => ({ kind: "partition", ...r })),
        );
        break;
      case "slow":
        arbs.push(
          fc
            .record({
              process: fc.constantFrom(...names),
              fromMs: time,
              durationMs: windowMs,
              factor: fc.integer({ min: 2, max: 20 }),
            })
            .map((r): Fault => ({ kind: "slow", ...r })),
        );
        break;
      case "restart-broker":
        arbs.push(
          fc
            .record({ atMs: time, downMs: fc.integer({ min: 1, max: space.maxWindowMs }) })
            .map((r): Fault => ({ kind: "restart-broker", ...r })),
        );
        break;
    }
  }
  if (arbs.length === 0 || space.maxFaults === 0) return fc.constant([]);
  return fc.array(fc.oneof(...arbs), { maxLength: space.maxFaults });
}

/**
 * A swarm plan (FoundationDB's BUGGIFY, swarm testing): each kind is enabled for this run with
 * probability `enableProbability` (default 0.5), then up to `maxFaults` faults of enabled kinds are
 * drawn with their times and targets, all from the given seeded stream.
 *
 * @example
 * ```ts
 * const plan = swarmPlan(space, sim.random.fork("swarm"));
 * ```
 */
export function swarmPlan(space: FaultSpace, random: RandomSource, enableProbability = 0.5): FaultPlan {
  const s = resolveSpace(space);
  const enabled = s.kinds.filter(() => random.float() < enableProbability);
  if (enabled.length === 0) return [];
  const count = 1 + Math.floor(random.float() * s.maxFaults);
  const names = Object.keys(s.processes);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random.float() * list.length)]!;
  const int = (min: number, max: number) => min + Math.floor(random.float() * (max - min + 1));
  const plan: Fault[] = [];
  for (let i = 0; i < count && s.maxFaults > 0; i++) {
    const kind = pick(enabled);
    switch (kind) {
      case "crash": {
        const process = pick(names);
        const points = s.processes[process]!;
        if (points.length > 0 && random.float() < 0.7) {
          plan.push({
            kind,
            process,
            point: pick(points),
            occurrence: int(1, s.maxOccurrence),
            restartAfterMs: int(0, s.maxRestartMs),
          });
        } else
          plan.push({ kind, process, atMs: int(0, s.horizonMs - 1), restartAfterMs: int(0, s.maxRestartMs) });
        break;
      }
      case "drop-request":
      case "drop-response":
        plan.push({ kind, request: pick(s.requests), nth: int(1, s.maxNth) });
        break;
      case "delay":
        plan.push({ kind, request: pick(s.requests), nth: int(1, s.maxNth), delayMs: int(1, s.maxDelayMs) });
        break;
      case "partition":
        plan.push({
          kind,
          client: pick(s.clients),
          fromMs: int(0, s.horizonMs - 1),
          durationMs: int(1, s.maxWindowMs),
        });
        break;
      case "slow":
        plan.push({
          kind,
          process: pick(names),
          fromMs: int(0, s.horizonMs - 1),
          durationMs: int(1, s.maxWindowMs),
          factor: int(2, 20),
        });
        break;
      case "restart-broker":
        plan.push({ kind, atMs: int(0, s.horizonMs - 1), downMs: int(1, s.maxWindowMs) });
        break;
    }
  }
  return plan;
}
