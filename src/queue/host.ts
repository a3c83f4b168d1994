import { InvalidArgumentError } from "../scheduler/errors.js";
import type { Simulation } from "../scheduler/simulation.js";
import { defaultSizer } from "../scheduler/sizer.js";
import { checkFunction, checkInteger, checkOneOf, checkOptions } from "../scheduler/validate.js";
import type { DeadLetterReason } from "./dead-letter.js";
import type { QueueMessage, QueueSettings } from "./message.js";
import type { NamedQueue, QueueCounters, QueueHost } from "./queue.js";

/**
 * Options of {@link basicQueueHost}.
 *
 * @example
 * ```ts
 * const options: BasicQueueHostOptions<QueueMessage> = { onDeadLetter: (queue, message, reason) => {} };
 * ```
 */
export interface BasicQueueHostOptions<M extends QueueMessage> {
  /** Receives each message a queue gives up (deferred: it runs as its own simulation event). */
  onDeadLetter?: (queue: NamedQueue, message: M, reason: DeadLetterReason) => void;
  /** A queue's `expires` passed unused. Default: nothing (the queue stays). */
  onExpire?: (queue: NamedQueue) => void;
}

interface DeadLetterNote<M extends QueueMessage> {
  fn: (queue: NamedQueue, message: M, reason: DeadLetterReason) => void;
  queue: NamedQueue;
  message: M;
  reason: DeadLetterReason;
}

function runDeadLetter<M extends QueueMessage>(note: DeadLetterNote<M>): void {
  note.fn(note.queue, note.message, note.reason);
}

/**
 * A host for queues outside any broker model (the task layer's transports, tests): counters, the
 * default sizer, and a dead-letter hook run as a deferred event, so it may publish back into a
 * queue without re-entering it.
 *
 * @example
 * ```ts
 * const dlq: unknown[] = [];
 * const host = basicQueueHost(sim, { onDeadLetter: (_q, message) => dlq.push(message.content) });
 * const jobs = new ConsumableQueue(host, "jobs", queueSettings({ maxLength: 10 }));
 * ```
 */
export function basicQueueHost<M extends QueueMessage>(
  sim: Simulation,
  options: BasicQueueHostOptions<M> = {},
): QueueHost<M> {
  checkOptions(options, ["onDeadLetter", "onExpire"], "basicQueueHost");
  if (options.onDeadLetter !== undefined)
    checkFunction(options.onDeadLetter, "onDeadLetter", "basicQueueHost");
  if (options.onExpire !== undefined) checkFunction(options.onExpire, "onExpire", "basicQueueHost");
  const counters: QueueCounters = {
    enqueued: 0,
    refused: 0,
    delivered: 0,
    redelivered: 0,
    requeued: 0,
    expired: 0,
    dropped: 0,
  };
  const onDeadLetter = options.onDeadLetter;
  const onExpire = options.onExpire;
  return {
    sim,
    counters,
    deadLetter(queue, message, reason) {
      if (onDeadLetter === undefined) {
        counters.dropped++;
        return;
      }
      sim.defer(runDeadLetter<M>, { fn: onDeadLetter, queue, message, reason });
    },
    sizeOf: (message) => (message.size > 0 ? message.size : defaultSizer(message.content)),
    drainDeadLetters() {},
    expireQueue(queue) {
      onExpire?.(queue);
    },
  };
}

/**
 * Options of {@link queueSettings}; every limit is off when omitted.
 *
 * @example
 * ```ts
 * const options: QueueSettingsOptions = { maxLength: 100, overflow: "reject-publish" };
 * ```
 */
export interface QueueSettingsOptions {
  type?: QueueSettings["type"];
  messageTtlMs?: number;
  expiresMs?: number;
  maxLength?: number;
  maxLengthBytes?: number;
  overflow?: QueueSettings["overflow"];
  deliveryLimit?: number;
  singleActiveConsumer?: boolean;
}

/**
 * Validates queue limits and fills in the defaults (classic, no TTL, no limits, `drop-head`).
 *
 * @example
 * ```ts
 * queueSettings({ maxLength: 2, overflow: "drop-head" }).maxLength; // 2
 * ```
 */
export function queueSettings(options: QueueSettingsOptions = {}, where = "queueSettings"): QueueSettings {
  checkOptions(
    options,
    [
      "type",
      "messageTtlMs",
      "expiresMs",
      "maxLength",
      "maxLengthBytes",
      "overflow",
      "deliveryLimit",
      "singleActiveConsumer",
    ],
    where,
  );
  const type = options.type ?? "classic";
  checkOneOf(type, ["classic", "quorum"], "type", where);
  const overflow = options.overflow ?? "drop-head";
  checkOneOf(overflow, ["drop-head", "reject-publish", "reject-publish-dlx"], "overflow", where);
  const count = (value: number | undefined, name: string, min: number): number => {
    if (value === undefined) return -1;
    checkInteger(value, name, where, min);
    return value;
  };
  const sac = options.singleActiveConsumer ?? false;
  if (typeof sac !== "boolean") {
    throw new InvalidArgumentError(`${where}: singleActiveConsumer must be a boolean, got ${String(sac)}.`);
  }
  return {
    type,
    messageTtl: count(options.messageTtlMs, "messageTtlMs", 0),
    expires: count(options.expiresMs, "expiresMs", 1),
    maxLength: count(options.maxLength, "maxLength", 0),
    maxLengthBytes: count(options.maxLengthBytes, "maxLengthBytes", 0),
    overflow,
    deliveryLimit: count(options.deliveryLimit, "deliveryLimit", 0),
    singleActiveConsumer: sac,
  };
}
