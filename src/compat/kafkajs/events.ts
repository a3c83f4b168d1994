import type { Simulation } from "../../scheduler/simulation.js";
import { invalid } from "./errors.js";
import type { Logger } from "./logger.js";

/**
 * kafkajs' instrumentation events: the event names of producers, consumers and admins, and the
 * emitter behind `on(eventName, listener)`. Events carry a virtual `timestamp` and an `id` that
 * counts per simulation, so two runs from one seed emit identical events.
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
  id: string;
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

  constructor(
    private readonly sim: Simulation,
    names: readonly string[],
    private readonly kind: "consumer" | "producer" | "admin",
    private readonly logger: Logger,
  ) {
    this.names = new Set(names);
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
      id: String(counter.next++),
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
