import { EventEmitter } from "eventemitter3";

/**
 * The map from event type to payload for everything a simulation can report. Models extend it by
 * declaration merging, so each layer declares its own events next to the code that emits them:
 *
 * ```ts
 * declare module "../scheduler/event-bus.js" {
 *   interface BrokerlabEvents {
 *     "queue.enqueued": { queue: string; messageId: string };
 *   }
 * }
 * ```
 */
export interface BrokerlabEvents {
  /** A note added by user code with `sim.record(...)`, so tests can put their own steps in the trace. */
  "user.record": { label: string; data?: unknown };
  /** A cron schedule fired. */
  "scheduler.cron": { expression: string; scheduledAt: number };
  /** A process's first incarnation started (`sim.spawn`). */
  "process.spawn": { process: string; incarnation: number };
  /** A process started again as a new incarnation (`restart`, or `restartOnFailure`). */
  "process.restart": { process: string; incarnation: number };
  /** A process was killed (`crash`, a crash point, a fault plan); `reason` when one was given. */
  "process.crash": { process: string; incarnation: number; reason?: string };
  /** A process's `main` returned; the clients it created live on until it is crashed. */
  "process.exit": { process: string; incarnation: number };
  /** A process's `main` threw: the incarnation ended as `failed`. */
  "process.fail": { process: string; incarnation: number; error: string };
  /** A process's code reached a named crash point (before the crash hook decides). */
  "process.point": { process: string; incarnation: number; point: string; occurrence: number };
}

/** Any event type. */
export type EventType = keyof BrokerlabEvents & string;

/** One event as seen by a tap: its type, virtual time and payload. */
export interface TappedEvent<K extends EventType = EventType> {
  type: K;
  time: number;
  payload: BrokerlabEvents[K];
}

/** A listener for every event, such as a trace recorder. */
export type EventTap = (type: EventType, time: number, payload: unknown) => void;

/**
 * A typed event bus over eventemitter3. Emitting costs one branch when nobody listens: models guard
 * payload construction with {@link EventBus.wants}, so an unobserved simulation builds no event
 * objects at all.
 *
 * @example
 * ```ts
 * sim.bus.on("user.record", ({ label }) => console.log(label));
 * if (sim.bus.wants("user.record")) sim.bus.emit("user.record", { label: "hello" });
 * ```
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly taps: EventTap[] = [];
  private listeners = 0;
  private readonly clock: () => number;

  /** @param clock returns the current virtual time, stamped on tapped events. */
  constructor(clock: () => number) {
    this.clock = clock;
  }

  /** True when anyone listens to anything. */
  get active(): boolean {
    return this.listeners > 0 || this.taps.length > 0;
  }

  /** True when someone would receive an event of this type; check it before building a payload. */
  wants(type: EventType): boolean {
    return this.taps.length > 0 || (this.listeners > 0 && this.emitter.listenerCount(type) > 0);
  }

  /** Subscribes to one event type. Returns a function that unsubscribes. */
  on<K extends EventType>(type: K, listener: (payload: BrokerlabEvents[K]) => void): () => void {
    this.emitter.on(type, listener);
    this.listeners++;
    return () => this.off(type, listener);
  }

  /** Subscribes for the next event of this type only. */
  once<K extends EventType>(type: K, listener: (payload: BrokerlabEvents[K]) => void): () => void {
    const wrapper = (payload: BrokerlabEvents[K]) => {
      this.off(type, wrapper);
      listener(payload);
    };
    return this.on(type, wrapper);
  }

  /** Removes a listener added with {@link on}. */
  off<K extends EventType>(type: K, listener: (payload: BrokerlabEvents[K]) => void): void {
    const before = this.emitter.listenerCount(type);
    this.emitter.off(type, listener);
    this.listeners -= before - this.emitter.listenerCount(type);
  }

  /** Receives every event, in emission order. Returns a function that removes the tap. */
  tap(tap: EventTap): () => void {
    this.taps.push(tap);
    return () => {
      const index = this.taps.indexOf(tap);
      if (index >= 0) this.taps.splice(index, 1);
    };
  }

  /** Emits an event to its listeners and to every tap. */
  emit<K extends EventType>(type: K, payload: BrokerlabEvents[K]): void {
    if (this.taps.length > 0) {
      const time = this.clock();
      for (const tap of this.taps) tap(type, time, payload);
    }
    if (this.listeners > 0) this.emitter.emit(type, payload);
  }
}
