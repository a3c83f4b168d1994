import type { Simulation } from "../../scheduler/simulation.js";
import { invalid } from "./errors.js";
import { type ApiName, type RequestClient, type RequestOptions, RequestTracker } from "./instrumentation.js";
import type { Logger } from "./logger.js";
import type { IMemberAssignment, TopicOffsets } from "./types.js";

/**
 * kafkajs' instrumentation events: the event names of producers, consumers and admins, and the
 * emitter behind `on(eventName, listener)`. Events carry a virtual `timestamp` and a numeric `id`
 * that counts up per simulation (kafkajs counts per process; one simulation is brokerlab's
 * process), so two runs from one seed emit identical events. The `*Event` types are kafkajs' own,
 * and `on()` is typed with them: `consumer.on(consumer.events.GROUP_JOIN, (e) => e.payload.memberId)`.
 */

/**
 * Consumer event names (`consumer.events`).
 *
 * @example
 * ```ts
 * consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => console.log(payload.memberAssignment));
 * ```
 */
export const CONSUMER_EVENTS = Object.freeze({
  HEARTBEAT: "consumer.heartbeat",
  COMMIT_OFFSETS: "consumer.commit_offsets",
  GROUP_JOIN: "consumer.group_join",
  FETCH: "consumer.fetch",
  FETCH_START: "consumer.fetch_start",
  START_BATCH_PROCESS: "consumer.start_batch_process",
  END_BATCH_PROCESS: "consumer.end_batch_process",
  CONNECT: "consumer.connect",
  DISCONNECT: "consumer.disconnect",
  STOP: "consumer.stop",
  CRASH: "consumer.crash",
  REBALANCING: "consumer.rebalancing",
  RECEIVED_UNSUBSCRIBED_TOPICS: "consumer.received_unsubscribed_topics",
  REQUEST: "consumer.network.request",
  REQUEST_TIMEOUT: "consumer.network.request_timeout",
  REQUEST_QUEUE_SIZE: "consumer.network.request_queue_size",
} as const);

/**
 * Producer event names (`producer.events`).
 *
 * @example
 * ```ts
 * producer.on(producer.events.CONNECT, () => console.log("connected"));
 * ```
 */
export const PRODUCER_EVENTS = Object.freeze({
  CONNECT: "producer.connect",
  DISCONNECT: "producer.disconnect",
  REQUEST: "producer.network.request",
  REQUEST_TIMEOUT: "producer.network.request_timeout",
  REQUEST_QUEUE_SIZE: "producer.network.request_queue_size",
} as const);

/**
 * Admin event names (`admin.events`).
 *
 * @example
 * ```ts
 * admin.on(admin.events.CONNECT, () => console.log("admin connected"));
 * ```
 */
export const ADMIN_EVENTS = Object.freeze({
  CONNECT: "admin.connect",
  DISCONNECT: "admin.disconnect",
  REQUEST: "admin.network.request",
  REQUEST_TIMEOUT: "admin.network.request_timeout",
  REQUEST_QUEUE_SIZE: "admin.network.request_queue_size",
} as const);

/**
 * An event as listeners receive it (kafkajs' `InstrumentationEvent`).
 *
 * @example
 * ```ts
 * const listener = (event: InstrumentationEvent<{ groupId: string }>) => event.payload.groupId;
 * ```
 */
export interface InstrumentationEvent<T> {
  /** Counts up from 0 per simulation (kafkajs' types say string; kafkajs, and brokerlab, emit a number). */
  id: number;
  type: string;
  /** Virtual milliseconds. */
  timestamp: number;
  payload: T;
}

/** A listener; kafkajs ignores what it returns, but logs a rejected promise. */
export type InstrumentationListener<T = unknown> = (event: InstrumentationEvent<T>) => unknown;

const counters = new WeakMap<Simulation, { next: number }>();

/**
 * Dispatches instrumentation events to listeners, as kafkajs' `InstrumentationEventEmitter` with
 * the wrapper its `on` installs: a listener that throws synchronously throws into the emitting
 * code (as in kafkajs), a listener whose promise rejects is logged. Emitting with no listener costs
 * a map lookup; payloads are built by the caller only when {@link wants} says someone listens.
 *
 * @example
 * ```ts
 * const emitter = new InstrumentationEmitter(sim, Object.values(CONSUMER_EVENTS), "consumer", logger);
 * const remove = emitter.on("consumer.stop", () => console.log("stopped"));
 * remove();
 * ```
 */
export class InstrumentationEmitter {
  private readonly listeners = new Map<string, InstrumentationListener[]>();
  private readonly names: ReadonlySet<string>;
  /** The client's simulated requests (REQUEST, REQUEST_TIMEOUT, REQUEST_QUEUE_SIZE events). */
  readonly requests: RequestTracker;

  constructor(
    readonly sim: Simulation,
    names: readonly string[],
    readonly kind: "consumer" | "producer" | "admin",
    private readonly logger: Logger,
    client?: RequestClient,
  ) {
    this.names = new Set(names);
    this.requests = new RequestTracker(this, client);
  }

  /**
   * Runs one simulated request attempt (`run`) as kafkajs' connection would send it: REQUEST when
   * it completes (with a response, even an error response), REQUEST_TIMEOUT when it times out.
   * Costs a counter increment when nobody listens. See {@link RequestTracker.run}.
   */
  request<T>(api: ApiName, run: () => T, options?: RequestOptions<Awaited<T>>): T {
    return this.requests.run(api, run, options);
  }

  /**
   * Registers a listener; returns the function that removes it. Unknown names are refused with
   * kafkajs' message.
   */
  on(eventName: string, listener: InstrumentationListener): () => void {
    if (!this.names.has(eventName)) {
      const keys = [...this.names].map((n) => `${this.kind}.events.${keyOf(n)}`).join(", ");
      throw invalid(`Event name should be one of ${keys}`, "UNKNOWN_EVENT");
    }
    if (typeof listener !== "function") throw invalid(`${this.kind}.on: listener must be a function.`);
    const list = this.listeners.get(eventName) ?? [];
    list.push(listener);
    this.listeners.set(eventName, list);
    return () => {
      const current = this.listeners.get(eventName);
      if (current === undefined) return;
      const i = current.indexOf(listener);
      if (i >= 0) current.splice(i, 1);
    };
  }

  /** True when someone listens to `eventName` (build payloads only then). */
  wants(eventName: string): boolean {
    const list = this.listeners.get(eventName);
    return list !== undefined && list.length > 0;
  }

  /** Emits an event to its listeners, synchronously. */
  emit(eventName: string, payload: unknown = null): void {
    const list = this.listeners.get(eventName);
    if (list === undefined || list.length === 0) return;
    let counter = counters.get(this.sim);
    if (counter === undefined) {
      counter = { next: 0 };
      counters.set(this.sim, counter);
    }
    const event: InstrumentationEvent<unknown> = {
      id: counter.next++,
      type: eventName,
      timestamp: this.sim.now,
      payload,
    };
    for (const listener of [...list]) {
      const result = listener(event);
      if (
        result !== null &&
        typeof result === "object" &&
        typeof (result as Promise<unknown>).then === "function"
      ) {
        (result as Promise<unknown>).then(undefined, (error: unknown) => {
          this.logger.error(`Failed to execute listener: ${(error as Error)?.message ?? String(error)}`, {
            eventName,
          });
        });
      }
    }
  }
}

function keyOf(name: string): string {
  const tail = name.slice(name.indexOf(".") + 1);
  return tail.replace("network.", "").toUpperCase();
}

/** kafkajs' `RemoveInstrumentationEventListener`: what `on()` returns. */
export type RemoveInstrumentationEventListener<_T> = () => void;

/** `consumer.events`' type (kafkajs' `ConsumerEvents`). */
export type ConsumerEvents = typeof CONSUMER_EVENTS;
/** `producer.events`' type (kafkajs' `ProducerEvents`). */
export type ProducerEvents = typeof PRODUCER_EVENTS;
/** `admin.events`' type (kafkajs' `AdminEvents`). */
export type AdminEvents = typeof ADMIN_EVENTS;

/** CONNECT's event (payload null). */
export type ConnectEvent = InstrumentationEvent<null>;
/** DISCONNECT's event (payload null). */
export type DisconnectEvent = InstrumentationEvent<null>;

/** What kafkajs reports of a request sent to a broker (virtual ms). */
interface RequestFields {
  apiKey: number;
  apiName: string;
  apiVersion: number;
  broker: string;
  clientId: string;
  correlationId: number;
  createdAt: number;
  pendingDuration: number;
  sentAt: number;
}

/** REQUEST: a request got its response. Times are virtual ms; `size` is the response's estimated bytes. */
export type RequestEvent = InstrumentationEvent<RequestFields & { duration: number; size: number }>;

/** REQUEST_TIMEOUT: a request got no response within its timeout. */
export type RequestTimeoutEvent = InstrumentationEvent<RequestFields>;

/** REQUEST_QUEUE_SIZE: requests waiting for an in-flight slot on one broker connection. */
export type RequestQueueSizeEvent = InstrumentationEvent<{
  broker: string;
  clientId: string;
  queueSize: number;
}>;

/** Consumer HEARTBEAT. */
export type ConsumerHeartbeatEvent = InstrumentationEvent<{
  groupId: string;
  memberId: string;
  groupGenerationId: number;
}>;
/** Consumer COMMIT_OFFSETS. */
export type ConsumerCommitOffsetsEvent = InstrumentationEvent<{
  groupId: string;
  memberId: string;
  groupGenerationId: number;
  topics: TopicOffsets[];
}>;
/** Consumer GROUP_JOIN. */
export type ConsumerGroupJoinEvent = InstrumentationEvent<{
  duration: number;
  groupId: string;
  isLeader: boolean;
  leaderId: string;
  groupProtocol: string;
  memberId: string;
  memberAssignment: IMemberAssignment;
}>;
/** Consumer FETCH_START. */
export type ConsumerFetchStartEvent = InstrumentationEvent<{ nodeId: number }>;
/** Consumer FETCH. */
export type ConsumerFetchEvent = InstrumentationEvent<{
  numberOfBatches: number;
  duration: number;
  nodeId: number;
}>;
/** START_BATCH_PROCESS's payload (END_BATCH_PROCESS adds `duration`). */
export interface IBatchProcessEvent {
  topic: string;
  partition: number;
  highWatermark: string;
  offsetLag: string;
  offsetLagLow: string;
  batchSize: number;
  firstOffset: string;
  lastOffset: string;
}
/** Consumer START_BATCH_PROCESS. */
export type ConsumerStartBatchProcessEvent = InstrumentationEvent<IBatchProcessEvent>;
/** Consumer END_BATCH_PROCESS. */
export type ConsumerEndBatchProcessEvent = InstrumentationEvent<IBatchProcessEvent & { duration: number }>;
/** Consumer CRASH. */
export type ConsumerCrashEvent = InstrumentationEvent<{ error: Error; groupId: string; restart: boolean }>;
/** Consumer REBALANCING. */
export type ConsumerRebalancingEvent = InstrumentationEvent<{ groupId: string; memberId: string }>;
/** Consumer RECEIVED_UNSUBSCRIBED_TOPICS (kafkajs spells the type "Unsubcribed"). */
export type ConsumerReceivedUnsubcribedTopicsEvent = InstrumentationEvent<{
  groupId: string;
  generationId: number;
  memberId: string;
  assignedTopics: string[];
  topicsSubscribed: string[];
  topicsNotSubscribed: string[];
}>;

/**
 * The event each consumer event name delivers (what kafkajs' `on()` overloads say).
 *
 * @example
 * ```ts
 * type Join = ConsumerEventMap["consumer.group_join"]; // ConsumerGroupJoinEvent
 * ```
 */
export interface ConsumerEventMap {
  "consumer.heartbeat": ConsumerHeartbeatEvent;
  "consumer.commit_offsets": ConsumerCommitOffsetsEvent;
  "consumer.group_join": ConsumerGroupJoinEvent;
  "consumer.fetch_start": ConsumerFetchStartEvent;
  "consumer.fetch": ConsumerFetchEvent;
  "consumer.start_batch_process": ConsumerStartBatchProcessEvent;
  "consumer.end_batch_process": ConsumerEndBatchProcessEvent;
  "consumer.connect": ConnectEvent;
  "consumer.disconnect": DisconnectEvent;
  "consumer.stop": InstrumentationEvent<null>;
  "consumer.crash": ConsumerCrashEvent;
  "consumer.rebalancing": ConsumerRebalancingEvent;
  "consumer.received_unsubscribed_topics": ConsumerReceivedUnsubcribedTopicsEvent;
  "consumer.network.request": RequestEvent;
  "consumer.network.request_timeout": RequestTimeoutEvent;
  "consumer.network.request_queue_size": RequestQueueSizeEvent;
}

/**
 * The event each producer event name delivers.
 *
 * @example
 * ```ts
 * type Req = ProducerEventMap["producer.network.request"]; // RequestEvent
 * ```
 */
export interface ProducerEventMap {
  "producer.connect": ConnectEvent;
  "producer.disconnect": DisconnectEvent;
  "producer.network.request": RequestEvent;
  "producer.network.request_timeout": RequestTimeoutEvent;
  "producer.network.request_queue_size": RequestQueueSizeEvent;
}

/**
 * The event each admin event name delivers.
 *
 * @example
 * ```ts
 * type Req = AdminEventMap["admin.network.request"]; // RequestEvent
 * ```
 */
export interface AdminEventMap {
  "admin.connect": ConnectEvent;
  "admin.disconnect": DisconnectEvent;
  "admin.network.request": RequestEvent;
  "admin.network.request_timeout": RequestTimeoutEvent;
  "admin.network.request_queue_size": RequestQueueSizeEvent;
}

/**
 * A client's typed `on()`: the listener receives the event type kafkajs declares for the name.
 *
 * @example
 * ```ts
 * const on: TypedOn<ConsumerEventMap> = consumer.on;
 * on("consumer.group_join", (e) => e.payload.memberAssignment);
 * ```
 */
export interface TypedOn<M> {
  <E extends keyof M>(eventName: E, listener: (event: M[E]) => void): RemoveInstrumentationEventListener<E>;
  /** kafkajs' catch-all overload: any of the client's event names, a listener of any event. */
  (
    eventName: keyof M,
    // biome-ignore lint/suspicious/noExplicitAny: kafkajs' own catch-all overload types the event so.
    listener: (event: InstrumentationEvent<any>) => void,
  ): RemoveInstrumentationEventListener<keyof M>;
}
