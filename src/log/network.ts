import { describeValue } from "../scheduler/describe-value.js";
import { InvalidArgumentError } from "../scheduler/errors.js";
import { checkFunction, checkNonNegative } from "../scheduler/validate.js";
import type { TopicPartition } from "./assignors/types.js";

/**
 * The network between clients and the (single) broker: a fixed one-way latency and a fault hook.
 * The hook sees every produce, fetch, commit and heartbeat request and may drop the request (the broker
 * never sees it), drop the response (the broker acted, the client never hears: the unknown
 * outcome behind duplicates), or delay either direction. Producers and consumers treat a missing
 * response as a request timeout.
 *
 * Fetches: a fetch is a read, so both drops look the same to the consumer — no response; it
 * waits its request timeout (the native consumer's `requestTimeoutMs`, kafkajs' `requestTimeout`,
 * both 30 000 ms by default), then fetches again from the same position: nothing is consumed
 * meanwhile and nothing is skipped. A delay returns the fetch's records later (a delay of at least
 * the request timeout is a timeout). A `partition` of the client loses its fetches like its other
 * requests.
 */

/**
 * Requests the fault hook sees. Besides produce, fetch, offset commit and heartbeat, the transactional
 * producer's requests: InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit and
 * EndTxn (delaying an `"end-txn"` past the client's request timeout is the late-EndTxn hazard).
 */
export type RequestKind =
  | "produce"
  | "fetch"
  | "commit"
  | "heartbeat"
  | "init-producer-id"
  | "add-partitions"
  | "add-offsets"
  | "txn-offset-commit"
  | "end-txn";

/** What the fault hook is told about a request. */
export interface RequestInfo {
  readonly kind: RequestKind;
  /** Unique per cluster, increasing. */
  readonly requestId: number;
  readonly clientId: string;
  /** Virtual send time. */
  readonly sentAt: number;
  /** Partitions concerned (produce, fetch, commit). */
  readonly partitions: readonly TopicPartition[];
  /** Produce: retry attempt of the first batch; transactional requests: retry attempt (0 = first try). */
  readonly attempt: number;
  /** Commit, heartbeat and fetch: the group (null for a group-less consumer's fetch). */
  readonly groupId: string | null;
  /** Transactional requests: the producer's `transactional.id`. */
  readonly transactionalId?: string;
  /** EndTxn: what the client asks for. */
  readonly result?: "commit" | "abort";
}

/**
 * What to do with a request. Strings are shorthands: `"deliver"`, `"drop-request"` (lost on the
 * way: the request times out and nothing happened) and `"drop-response"` (the broker acts, the
 * reply is lost: the request times out and the client cannot know it succeeded).
 */
export type FaultDecision =
  | "deliver"
  | "drop-request"
  | "drop-response"
  | {
      /** Extra delay before the broker sees the request. */
      readonly delayRequestMs?: number;
      /** Extra delay before the client sees the response. */
      readonly delayResponseMs?: number;
      readonly drop?: "request" | "response";
    };

/**
 * Decides the fate of a request; return nothing to deliver normally.
 *
 * @example
 * ```ts
 * // Every first produce attempt is appended but its ack is lost: retries follow.
 * cluster.network.setFaultHook((r) => (r.kind === "produce" && r.attempt === 0 ? "drop-response" : undefined));
 * ```
 */
export type FaultHook = (request: RequestInfo) => FaultDecision | undefined | null;

/** A decision in normal form. */
export interface ResolvedFault {
  requestDelayMs: number;
  responseDelayMs: number;
  dropRequest: boolean;
  dropResponse: boolean;
  action: string;
}

const DELIVER: ResolvedFault = Object.freeze({
  requestDelayMs: 0,
  responseDelayMs: 0,
  dropRequest: false,
  dropResponse: false,
  action: "deliver",
});

/**
 * Latency and fault injection for one cluster.
 *
 * @example
 * ```ts
 * cluster.network.latencyMs = 2;
 * cluster.network.setFaultHook(() => "drop-request");
 * cluster.network.setFaultHook(null); // back to normal
 * ```
 */
export class Network {
  private latency: number;
  private hook: FaultHook | null = null;
  private nextId = 1;

  constructor(latencyMs: number) {
    checkNonNegative(latencyMs, "requestLatencyMs", "Network");
    this.latency = latencyMs;
  }

  /** One-way latency in virtual ms. */
  get latencyMs(): number {
    return this.latency;
  }

  set latencyMs(value: number) {
    checkNonNegative(value, "latencyMs", "Network");
    this.latency = value;
  }

  /** Installs (or with null removes) the fault hook. */
  setFaultHook(hook: FaultHook | null): void {
    if (hook !== null) checkFunction(hook, "hook", "Network.setFaultHook");
    this.hook = hook;
  }

  /** The installed fault hook, or null (to wrap it, e.g. to watch requests). */
  get faultHook(): FaultHook | null {
    return this.hook;
  }

  /** True when a fault hook is installed. */
  get hasFaultHook(): boolean {
    return this.hook !== null;
  }

  /** @internal A fresh request id. */
  requestId(): number {
    return this.nextId++;
  }

  /** @internal Asks the hook about a request. */
  decide(info: RequestInfo): ResolvedFault {
    if (this.hook === null) return DELIVER;
    const decision = this.hook(info);
    if (decision === undefined || decision === null || decision === "deliver") return DELIVER;
    if (decision === "drop-request") return { ...DELIVER, dropRequest: true, action: "drop-request" };
    if (decision === "drop-response") return { ...DELIVER, dropResponse: true, action: "drop-response" };
    if (typeof decision !== "object") {
      throw new InvalidArgumentError(
        `Network fault hook returned ${describeValue(decision)}; expected "deliver", "drop-request", "drop-response" or { delayRequestMs, delayResponseMs, drop }.`,
      );
    }
    const requestDelayMs = decision.delayRequestMs ?? 0;
    const responseDelayMs = decision.delayResponseMs ?? 0;
    checkNonNegative(requestDelayMs, "delayRequestMs", "Network fault hook");
    checkNonNegative(responseDelayMs, "delayResponseMs", "Network fault hook");
    return {
      requestDelayMs,
      responseDelayMs,
      dropRequest: decision.drop === "request",
      dropResponse: decision.drop === "response",
      action: decision.drop !== undefined ? `drop-${decision.drop}` : "delay",
    };
  }
}
